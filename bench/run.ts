import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { runBaseline, type BaselineResult } from './baseline.js';
import { SCENARIOS, type Fixtures, type Scenario } from './scenarios.js';

/**
 * npm run bench [-- --write]: starts Centum as its own process on PostgreSQL (DATABASE_URL, or a
 * fresh database on 127.0.0.1:5432 dropped afterwards), creates a partner and users, drives each
 * scenario with autocannon over loopback for BENCH_SECONDS, then measures the raw SQL baseline with
 * the same number of database connections. --write puts the table into docs/performance.md.
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DB_CONNECTIONS = Number(process.env.BENCH_DB_CONNECTIONS ?? 20);
// As many users as the raw SQL baseline has accounts (bench/baseline.ts), so both spread their row locks alike.
const USERS = Number(process.env.BENCH_USERS ?? 1000);
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const ROOT = path.resolve(import.meta.dirname, '..');

const freePort = () => new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});

async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, drop: async () => {} };
  const name = `centum_bench_${Date.now()}`;
  const admin = 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

async function startCentum(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn',
      CENTUM_ADMIN_TOKEN: ADMIN_TOKEN, CENTUM_SECRET_KEY: 'bench-secret-key', CENTUM_DEMO_PARTNER: 'false',
      DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'centum-bench-')), DB_POOL_SIZE: String(DB_CONNECTIONS),
      RATE_LIMIT_MAX: '10000000', CENTUM_SANDBOX: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`Centum exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, child };
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('Centum did not become healthy');
}

async function call(url: string, method: string, pathname: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(url + pathname, {
    method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json: any = await res.json();
  if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function createFixtures(url: string): Promise<Fixtures> {
  const partner = await call(url, 'POST', '/admin/v1/partners', { name: 'Bench' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
  const key = { 'x-api-key': partner.apiKey };
  const users: Fixtures['users'] = [];
  for (let i = 0; i < USERS; i++) {
    const externalUserId = `bench-${i}`;
    await call(url, 'POST', '/v1/user/balances/crypto-and-fiat', {
      externalUserId, email: `bench${i}@example.com`, firstName: 'Bench', lastName: `User${i}`, country: 'PL', hasAcceptedP100Tc: true,
    }, key);
    const decided = await call(url, 'POST', '/v1/sandbox/kyc-decision', { externalUserId, decision: 'APPROVED' }, key);
    users.push({ externalUserId, iban: decided.iban });
  }
  const balances = await call(url, 'GET', '/v1/partner/balances', undefined, key);
  return { apiKey: partner.apiKey, users, partnerIban: balances.fiatBalances[0].iban };
}

interface Row { name: string; rps: number; p50: number; p99: number; errors: number; total: number; cpuMs: number; pgCpuMs: number; loadCpuMs: number }

/** CPU time (user + system, ms) the server process has used: per request, it does not depend on machine load. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

/** CPU time (ms) this process (the load generator) has used since `before`. */
function cpuMsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** CPU time of every PostgreSQL process on the machine (backends, WAL writer, checkpointer). */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.includes('(postgres)')) total += cpuMsOf(Number(entry));
    } catch {} // the process ended while being read
  }
  return total;
}

async function drive(url: string, pid: number, scenario: Scenario, fixtures: Fixtures): Promise<Row> {
  let n = 0;
  const cpuBefore = cpuMsOf(pid);
  const pgBefore = postgresCpuMs();
  const loadBefore = process.cpuUsage();
  const result = await autocannon({
    url, connections: CONNECTIONS, duration: SECONDS,
    headers: { 'x-api-key': fixtures.apiKey, 'content-type': 'application/json' },
    requests: [{
      setupRequest: (req: any) => {
        const r = scenario.request(fixtures, n++);
        return { ...req, method: r.method, path: r.path, body: r.body === undefined ? undefined : JSON.stringify(r.body) };
      },
    }],
  });
  return {
    name: scenario.name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts, total: result.requests.total,
    cpuMs: (cpuMsOf(pid) - cpuBefore) / Math.max(1, result.requests.total),
    pgCpuMs: (postgresCpuMs() - pgBefore) / Math.max(1, result.requests.total),
    loadCpuMs: cpuMsSince(loadBefore) / Math.max(1, result.requests.total),
  };
}

const fmt = (x: number, digits = 1) => x.toFixed(digits);

/** Replaces the measured part of docs/performance.md (between the bench markers); the analysis stays. */
function writeResults(machine: string, table: string) {
  const file = path.join(ROOT, 'docs', 'performance.md');
  const load = os.loadavg().map((x) => x.toFixed(1)).join(', ');
  const block = [
    '<!-- bench:start (written by `npm run bench -- --write`) -->',
    `Run ${new Date().toISOString()} on ${machine}; load average after the run ${load}.`,
    `Command: \`npm run bench -- --write\` (${SECONDS} s per scenario, ${CONNECTIONS} HTTP connections, ${DB_CONNECTIONS} PostgreSQL connections, ${USERS} users).`,
    '',
    table,
    '<!-- bench:end -->',
  ].join('\n');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n\n<!-- bench:start --><!-- bench:end -->\n';
  writeFileSync(file, current.replace(/<!-- bench:start[\s\S]*<!-- bench:end -->/, block));
}

async function main() {
  const database = await freshDatabase();
  const { url, child } = await startCentum(database.url);
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const fixtures = await createFixtures(url);
    for (const scenario of SCENARIOS.filter((s) => s.name.includes(process.env.BENCH_ONLY ?? ''))) {
      process.stderr.write(`running ${scenario.name} for ${SECONDS}s...\n`);
      await scenario.prepare?.(fixtures, (method, pathname, body) => call(url, method, pathname, body, { 'x-api-key': fixtures.apiKey }));
      rows.push(await drive(url, child.pid!, scenario, fixtures));
      if (scenario.finish) notes.push(await scenario.finish(fixtures, (method, pathname, body) => call(url, method, pathname, body, { 'x-api-key': fixtures.apiKey })));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  process.stderr.write(`running the raw SQL baseline for ${SECONDS}s...\n`);
  const pgBefore = postgresCpuMs();
  const loadBefore = process.cpuUsage();
  let pgAfter = pgBefore;
  let loadMs = 0;
  const baseline: BaselineResult = await runBaseline(database.url, DB_CONNECTIONS, SECONDS, () => {
    pgAfter = postgresCpuMs();
    loadMs = cpuMsSince(loadBefore);
  });
  const baselinePgCpuMs = (pgAfter - pgBefore) / Math.max(1, baseline.total);
  const baselineLoadCpuMs = loadMs / Math.max(1, baseline.total);
  await database.drop();

  const lines = [
    `| Scenario | req/s | p50 ms | p99 ms | non-2xx/errors | Centum CPU ms/req | PostgreSQL CPU ms/req | load generator CPU ms/req | vs raw SQL baseline |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|`,
    ...rows.map((r) => `| ${r.name} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} of ${r.total} | ${fmt(r.cpuMs, 2)} | ${fmt(r.pgCpuMs, 2)} | ${fmt(r.loadCpuMs, 2)} | ${
      SCENARIOS.find((s) => s.name === r.name)!.moneyMoving ? `${fmt(r.rps / baseline.requestsPerSecond, 2)}x` : '' } |`),
    `| Raw SQL baseline: one balanced transfer per commit (2 updates + insert), ${DB_CONNECTIONS} connections | ${fmt(baseline.requestsPerSecond)} | ${fmt(baseline.p50)} | ${fmt(baseline.p99)} | 0 of ${baseline.total} | | ${fmt(baselinePgCpuMs, 2)} | ${fmt(baselineLoadCpuMs, 2)} | 1.00x |`,
  ];
  const table = lines.join('\n');
  console.log(table);
  for (const note of notes) console.log(`\n${note}`);
  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}, Node ${process.version}`;
  console.log(`\n${machine}; ${SECONDS} s per scenario, ${CONNECTIONS} HTTP connections, ${DB_CONNECTIONS} PostgreSQL connections`);
  if (process.argv.includes('--write')) writeResults(machine, table);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
