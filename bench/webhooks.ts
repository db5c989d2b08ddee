import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { connectPostgres, openPglite, type Db } from '../src/kernel/db.js';
import { migrate } from '../src/kernel/migrate.js';
import { ensureHouseAccounts } from '../src/ledger/index.js';
import { startWorker } from '../src/jobs/worker.js';
import { emitEvent } from '../src/outbox/events.js';
import { createPartner } from '../src/modules/partners/service.js';
import { saveSettings } from '../src/modules/webhooks/settings.js';
import { workerRuntime } from '../src/modules/index.js';

/**
 * npx tsx bench/webhooks.ts: writes BENCH_EVENTS (10,000) events to the outbox, then lets a worker
 * with BENCH_WORKER_CONCURRENCY loops (16) deliver them to a local receiver, and reports
 * deliveries per second (each = claim transaction, HTTP POST, outcome transaction).
 * Database: DATABASE_URL, else a fresh PostgreSQL database on 127.0.0.1:5432 dropped afterwards;
 * BENCH_PGLITE=1 uses embedded PGlite instead. The receiver runs in this same process.
 */
const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 16);
const BATCH = 100;

async function openDb(): Promise<{ db: Db; label: string; drop: () => Promise<void> }> {
  if (process.env.BENCH_PGLITE === '1') return { db: await openPglite(), label: 'PGlite (in memory)', drop: async () => {} };
  if (process.env.DATABASE_URL) return { db: connectPostgres(process.env.DATABASE_URL, { poolSize: 30 }), label: 'PostgreSQL', drop: async () => {} };
  const name = `centum_bench_webhooks_${Date.now()}`;
  const admin = 'postgres://postgres@127.0.0.1:5432/postgres';
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await run(`CREATE DATABASE ${name}`);
  const db = connectPostgres(`postgres://postgres@127.0.0.1:5432/${name}`, { poolSize: 30 });
  return { db, label: 'PostgreSQL 15 (local)', drop: async () => { await db.close().catch(() => {}); await run(`DROP DATABASE IF EXISTS ${name}`); } };
}

async function main() {
  const { db, label, drop } = await openDb();
  try {
    await migrate(db);
    await ensureHouseAccounts(db);
    const config = loadConfig({ CENTUM_SECRET_KEY: 'bench-secret', CENTUM_ADMIN_TOKEN: 'bench-admin-token-0123', LOG_LEVEL: 'silent' });

    let received = 0;
    let done: () => void = () => {};
    const allReceived = new Promise<void>((resolve) => { done = resolve; });
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        if (++received === EVENTS) done();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    const partner = await createPartner(db, config.secretKey, 'Bench');
    await saveSettings(db, partner.id, { url, enabled: true, payloadFormat: 'flat' }, new Date());

    const emitStart = performance.now();
    for (let i = 0; i < EVENTS; i += BATCH) {
      await db.tx(async (q) => {
        for (let j = i; j < Math.min(i + BATCH, EVENTS); j++) {
          await emitEvent(q, partner.id, 'crypto_deposit.status', {
            externalUserId: `user-${j % 500}`, cryptoDepositId: `00000000-0000-4000-8000-${String(j).padStart(12, '0')}`,
            amount: 0.001, currency: 'btc', status: 'SUCCESSFUL', transactionHash: `0x${j.toString(16).padStart(64, '0')}`,
            createdAt: new Date().toISOString(),
          });
        }
      });
    }
    const emitSeconds = (performance.now() - emitStart) / 1000;

    if (process.env.BENCH_EXPLAIN === '1') {
      // The job queue's claim query with EVENTS jobs queued (what each attempt starts with).
      const plan = await db.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ANALYZE SELECT j.*, p.clock_offset_ms AS offset FROM jobs j LEFT JOIN partners p ON p.id = j.partner_id
         WHERE j.status = 'QUEUED' AND j.run_at <= $1::timestamptz + coalesce(p.clock_offset_ms, 0) * interval '1 millisecond'
         ORDER BY j.run_at LIMIT 1 FOR UPDATE OF j SKIP LOCKED`, [new Date()]);
      console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
    }

    const start = performance.now();
    const worker = startWorker(db, workerRuntime(config), { pollMs: 20, concurrency: CONCURRENCY, onError: (e) => console.error('worker error', e) });
    await allReceived;
    const deliverSeconds = (performance.now() - start) / 1000;
    // The last outcomes are recorded just after the last response: wait for them, then check.
    let succeeded = 0;
    for (let i = 0; i < 200; i++) {
      [{ n: succeeded }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'SUCCEEDED'`);
      if (succeeded === EVENTS) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await worker.stop();
    const [{ n: attempts }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_attempts');
    const [{ p50, p99 }] = await db.query<{ p50: number; p99: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99 FROM webhook_attempts`,
    );
    receiver.close();

    console.log(JSON.stringify({
      database: label, events: EVENTS, workerConcurrency: CONCURRENCY,
      outboxWritesPerSecond: Math.round(EVENTS / emitSeconds),
      deliveriesPerSecond: Math.round(EVENTS / deliverSeconds),
      deliverSeconds: Number(deliverSeconds.toFixed(2)),
      received, succeeded, attempts, httpLatencyMs: { p50, p99 }, cpus: (await import('node:os')).cpus().length,
    }, null, 2));
    if (received !== EVENTS || succeeded !== EVENTS || attempts !== EVENTS) process.exitCode = 1;
  } finally {
    await drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
