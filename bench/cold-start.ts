import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * npm run bench:cold-start: the time from starting the process to the first 200 from /health,
 * for the compiled server (`node dist/main.js`, after `npm run build`) and for the source through
 * tsx (`npm start`), on embedded PGlite (a first start, which creates and migrates the database,
 * and a restart) and on PostgreSQL (a migrated database). Each case runs COLD_START_RUNS (5) times;
 * prints a Markdown table (wall time: median, min, max; the server's CPU time by its first 200) for
 * docs/performance.md.
 */
const RUNS = Number(process.env.COLD_START_RUNS ?? 5);
const ROOT = path.resolve(import.meta.dirname, '..');
const ADMIN_TOKEN = 'cold-start-admin-token-0123456789';

const freePort = () => new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});

/** CPU time (user + system, ms) the process has used so far, from /proc (Linux; 0 elsewhere). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in 1/100 s
  } catch {
    return 0;
  }
}

interface Sample { ms: number; cpu: number }

/**
 * Starts the server, polls /health, stops it with SIGTERM: the wall time from spawn to the first
 * 200, and the CPU time the server used by then (which a busy machine does not inflate).
 */
async function coldStart(args: string[], env: Record<string, string>): Promise<Sample> {
  const port = await freePort();
  const started = performance.now();
  const proc = spawn(process.execPath, args, {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', CENTUM_ADMIN_TOKEN: ADMIN_TOKEN, CENTUM_SECRET_KEY: 'cold-start', ...env },
  });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`server exited: ${stderr}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        if (res.status === 200) return { ms: performance.now() - started, cpu: cpuMs(proc.pid!) };
      } catch {}
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
}

async function migratedPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `centum_cold_${Date.now()}`;
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const stats = (samples: Sample[]) => {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return { median: median(ms), min: ms[0], max: ms[ms.length - 1], cpu: median(samples.map((s) => s.cpu)) };
};

async function main() {
  if (!existsSync(path.join(ROOT, 'dist/main.js'))) throw new Error('run `npm run build` first (dist/main.js is missing)');
  const commands = { 'compiled (`node dist/main.js`)': ['dist/main.js'], 'source through tsx (`npm start`)': ['--import', 'tsx', 'src/main.ts'] };
  const rows: string[] = [];
  const pgDb = await migratedPostgres().catch(() => undefined);
  try {
    for (const [label, args] of Object.entries(commands)) {
      const first: Sample[] = [];
      const restart: Sample[] = [];
      for (let i = 0; i < RUNS; i++) {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'centum-cold-'));
        try {
          first.push(await coldStart(args, { DATABASE_URL: '', DATA_DIR: dir }));
          restart.push(await coldStart(args, { DATABASE_URL: '', DATA_DIR: dir }));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      const postgres: Sample[] = [];
      if (pgDb) {
        await coldStart(args, { DATABASE_URL: pgDb.url }); // migrates it once
        for (let i = 0; i < RUNS; i++) postgres.push(await coldStart(args, { DATABASE_URL: pgDb.url }));
      }
      const cases: [string, Sample[]][] = [['PGlite, first start (creates and migrates DATA_DIR)', first],
        ['PGlite, restart', restart], ['PostgreSQL (migrated)', postgres]];
      for (const [what, ms] of cases) {
        if (!ms.length) continue;
        const s = stats(ms);
        rows.push(`| ${label} | ${what} | ${s.median.toFixed(0)} | ${s.min.toFixed(0)} | ${s.max.toFixed(0)} | ${s.cpu.toFixed(0)} |`);
      }
    }
  } finally {
    await pgDb?.drop();
  }
  const cpu = os.cpus();
  console.log(`Run ${new Date().toISOString()} on ${cpu.length} x ${cpu[0]?.model.split(' ').slice(0, 2).join(' ')}, Node ${process.version}, `
    + `load average ${os.loadavg().map((l) => l.toFixed(1)).join(', ')}; ${RUNS} runs per case.\n`);
  console.log('| Command | Database | median ms | min ms | max ms | server CPU ms (median) |\n|---|---|---:|---:|---:|---:|');
  console.log(rows.join('\n'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
