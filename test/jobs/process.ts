import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, request, type ApiResponse } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';

/**
 * Centum as a child process (`src/main.ts` or `src/cli.ts worker` through the tsx loader), for
 * crash and multi-process tests. Node runs the file itself (`node --import tsx`), not through the
 * `tsx` wrapper, so a signal reaches the process that holds the database.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export const baseEnv = (extra: Record<string, string>): Record<string, string> => ({
  ...(process.env as Record<string, string>),
  CENTUM_ADMIN_TOKEN: ADMIN_TOKEN,
  CENTUM_SECRET_KEY: 'crash-test-secret',
  CENTUM_DEMO_PARTNER: 'false',
  CENTUM_WORKER_POLL_MS: '20',
  LOG_LEVEL: 'silent',
  ...extra,
});

export function spawnCentum(args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

/** Starts the server and resolves with its URL once it listens. */
export async function startServer(env: Record<string, string>): Promise<Child & { url: string }> {
  const child = spawnCentum(['src/main.ts'], baseEnv({ PORT: '0', ...env }));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(child.output());
      if (match) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 50);
    child.exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`server exited (${code}) before listening:\n${child.output()}`));
    });
  });
  return { ...child, url };
}

export async function createPartnerAt(url: string) {
  const res = await request(`${url}/admin/v1/partners`, 'POST', { name: 'Crash test' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
  if (res.status !== 201) throw new Error(`create partner: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; apiKey: string };
}

export const callAt = (url: string, apiKey: string) =>
  (method: string, p: string, body?: unknown): Promise<ApiResponse> => request(`${url}${p}`, method, body, { 'x-api-key': apiKey });

export async function kill(child: Child, signal: NodeJS.Signals): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill(signal);
  await child.exited;
}

/**
 * Where a crash test's child processes keep their data: a PostgreSQL database of the test's own
 * (with DATABASE_URL), else PGlite in a temporary DATA_DIR; the worker on, SEPA settling in 1 s.
 * `cleanUp` kills the children left and removes the data.
 */
export async function crashSetup(prefix: string) {
  const own = await isolatedDatabase(prefix);
  const dataDir = own ? undefined : mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  const env: Record<string, string> = {
    CENTUM_WORKER: 'true',
    CENTUM_SEPA_SETTLEMENT_SECONDS: '1',
    ...(own ? { DATABASE_URL: own.url } : { DATABASE_URL: '', DATA_DIR: dataDir! }),
  };
  const children: Child[] = [];
  const cleanUp = async () => {
    for (const child of children) await kill(child, 'SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await own?.drop();
  };
  return { pg: own?.url, dataDir, env, children, cleanUp };
}
