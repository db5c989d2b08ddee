import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, request } from '../support/app.js';
import { baseEnv, kill, type Child } from '../jobs/process.js';

/**
 * The production start: `npm run build` compiles src/ to dist/, and `node dist/main.js` (what
 * `npm run start:prod` runs) serves from the compiled code, finding the migrations from dist/ too.
 * Builds only when dist/ is older than a source file (CI builds before the tests).
 */
const dirs: string[] = [];
let child: Child | undefined;
afterAll(async () => {
  if (child) await kill(child, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newestSource(dir: string): number {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? newestSource(file) : statSync(file).mtimeMs;
  }));
}

describe('npm run build and the compiled server', () => {
  it('starts from dist/ and serves the API', async () => {
    const built = 'dist/main.js';
    if (!existsSync(built) || statSync(built).mtimeMs < newestSource('src')) {
      execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
    }
    const dataDir = mkdtempSync(path.join(tmpdir(), 'centum-dist-'));
    dirs.push(dataDir);
    const env = baseEnv({ PORT: '0', DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL ?? '', LOG_LEVEL: 'warn' });
    const proc = spawn(process.execPath, [built], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    child = { proc, output: () => out, exited };
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) {
          clearInterval(timer);
          resolve(match[1]);
        }
      }, 50);
      exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`dist/main.js exited (${code}):\n${out}`));
      });
    });
    expect((await request(`${url}/health`, 'GET')).status).toBe(200);
    const partner = await request(`${url}/admin/v1/partners`, 'POST', { name: 'Compiled' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(partner.status).toBe(201);
    const me = await request(`${url}/v1/partner/me`, 'GET', undefined, { 'x-api-key': partner.body.apiKey });
    expect(me.body.name).toBe('Compiled');
    await kill(child, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/Centum stopped after \d+ ms/);
  }, 300_000);
});
