import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, request } from '../support/app.js';
import { baseEnv, kill, spawnCentum, startServer, type Child } from '../jobs/process.js';

/**
 * First start and the CLI as a user meets them: a busy port, a second process on the embedded
 * database's directory, --help/--version, usage errors. Real processes (`node --import tsx`).
 */
const dirs: string[] = [];
const children: Child[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), `centum-${prefix}-`));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const child of children) await kill(child, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI to its end. */
async function cli(args: string[], env: Record<string, string>) {
  const child = spawnCentum(['src/cli.ts', ...args], baseEnv(env));
  children.push(child);
  const code = await child.exited;
  return { code, output: child.output() };
}

const embedded = (dataDir: string, extra: Record<string, string> = {}) => ({ DATABASE_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extra });

describe('start-up', () => {
  it('says in one line that the port is busy, exits 1, and creates no database', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as { port: number }).port);
    const dataDir = path.join(tempDir('busy'), 'data');
    try {
      const child = spawnCentum(['src/main.ts'], baseEnv(embedded(dataDir, { PORT: port, CENTUM_DEMO_PARTNER: 'true' })));
      children.push(child);
      expect(await child.exited).toBe(1);
      const lines = child.output().trim().split('\n');
      expect(lines, child.output()).toEqual([`Centum cannot start: Port ${port} on 127.0.0.1 is already in use: stop what listens there, or set PORT to a free port.`]);
      expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false); // nothing opened, no demo partner made
    } finally {
      blocker.close();
    }
  });

  it('refuses a second server and the CLI on the same embedded database, naming the running server; nothing is lost', async () => {
    const dataDir = tempDir('lock');
    const env = embedded(dataDir, { CENTUM_DEMO_PARTNER: 'true' });
    const first = await startServer(env);
    children.push(first);
    const key = /x-api-key:\s+(\S+)/.exec(first.output())?.[1];
    expect(key, first.output()).toMatch(/^ck_/);
    const pid = String(first.proc.pid);

    const second = spawnCentum(['src/main.ts'], baseEnv({ ...env, PORT: '0' }));
    children.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`in use by a Centum server (pid ${pid}, listening on ${first.url})`);
    expect(second.output()).not.toMatch(/\n\s+at /); // no stack

    const created = await cli(['partner', 'create', '--name', 'Sneaky'], env);
    expect(created.code).toBe(1);
    expect(created.output).toContain(`in use by a Centum server (pid ${pid}, listening on ${first.url})`);
    expect(created.output).toContain(`${first.url}/admin/v1/partners`);
    expect(created.output).not.toContain('ck_');

    // The running server still serves its partner, and the operator API is the way to add one.
    expect((await request(`${first.url}/v1/partner/me`, 'GET', undefined, { 'x-api-key': key! })).body.name).toBe('Demo partner');
    const acme = await request(`${first.url}/admin/v1/partners`, 'POST', { name: 'Acme' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(acme.status).toBe(201);
    await kill(first, 'SIGTERM');
    expect(existsSync(path.join(dataDir, 'centum.lock'))).toBe(false); // released on the way out

    // After the server stopped, the CLI may open the directory: both partners are there.
    const list = await cli(['partner', 'list'], env);
    expect(list.code, list.output).toBe(0);
    expect(list.output).toContain('Demo partner');
    expect(list.output).toContain('Acme');
    expect(list.output).not.toContain('Sneaky');
    const again = await startServer(env);
    children.push(again);
    expect((await request(`${again.url}/v1/partner/me`, 'GET', undefined, { 'x-api-key': acme.body.apiKey })).body.name).toBe('Acme');
    await kill(again, 'SIGTERM');
  }, 180_000);

  it('takes over the lock of a process that died', async () => {
    const dataDir = tempDir('stale');
    const gone = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => gone.on('exit', () => resolve(gone.pid!)));
    writeFileSync(path.join(dataDir, 'centum.lock'), JSON.stringify({ pid: deadPid, role: 'server', address: 'http://127.0.0.1:1', startedAt: '2020-01-01T00:00:00Z' }));
    const migrated = await cli(['migrate'], embedded(dataDir));
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.output).toContain('Database is up to date.');
    expect(existsSync(path.join(dataDir, 'centum.lock'))).toBe(false);
  }, 120_000);
});

describe('the CLI', () => {
  it('answers --help and --version, and a usage error creates no data directory', async () => {
    const dataDir = path.join(tempDir('cli'), 'data');
    const help = await cli(['--help'], embedded(dataDir));
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/^Usage: centum <command>/);
    const version = await cli(['--version'], embedded(dataDir));
    expect([version.code, version.output.trim()]).toEqual([0, `centum ${JSON.parse(readFileSync('package.json', 'utf8')).version}`]);
    for (const args of [['bogus'], ['partner', 'create'], ['partner', 'create', '--nmae', 'x'], ['partner'], []]) {
      const res = await cli(args, embedded(dataDir));
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.output).toMatch(/^centum: .+\n\nUsage: centum/);
      expect(res.output).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(dataDir)).toBe(false);
    expect(readdirSync(path.dirname(dataDir))).toEqual([]);
  }, 180_000);
});
