import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, request } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { answer, startReceiver, type Receiver } from './receiver.js';

/**
 * Kill -9 between "attempt committed" and "outcome recorded": Centum runs as a real child process
 * (`tsx src/main.ts` with its worker), the receiver holds the first requests open, the process is
 * killed, restarted on the same database, and every event must still arrive, with no attempt of any
 * chain sent twice and exactly one chain per event.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'centum-webhook-crash-'));
let child: ChildProcess | undefined;
let receiver: Receiver | undefined;
// On PostgreSQL the child gets a database of its own (see isolatedDatabase).
let own: Awaited<ReturnType<typeof isolatedDatabase>>;
let databaseUrl = '';

beforeAll(async () => {
  own = await isolatedDatabase('centum_webhook_crash');
  databaseUrl = own?.url ?? '';
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (child) await new Promise((resolve) => (child!.exitCode !== null || child!.signalCode !== null ? resolve(null) : child!.once('exit', resolve)));
  await own?.drop();
});

async function startCentum(env: Record<string, string>): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: databaseUrl,
      CENTUM_ADMIN_TOKEN: ADMIN_TOKEN, CENTUM_SECRET_KEY: 'crash-test-secret', CENTUM_DEMO_PARTNER: 'false',
      CENTUM_WORKER: 'true', CENTUM_WORKER_POLL_MS: '50', LOG_LEVEL: 'warn', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Centum did not start: ${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /Centum listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`Centum exited (${code}): ${out}`)));
  });
  return { proc, url };
}

it('loses no event and duplicates no attempt when the server is killed mid-delivery', async () => {
  receiver = await startReceiver();
  const held: (() => void)[] = [];
  receiver.respond = (_req, res) => void held.push(() => res.destroy()); // hold the call open

  // Phase 1: a long timeout, so the calls are surely still open when the process dies.
  let centum = await startCentum({ WEBHOOK_TIMEOUT_MS: '20000' });
  child = centum.proc;
  const created = await request(`${centum.url}/admin/v1/partners`, 'POST', { name: 'Crash' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
  expect(created.status).toBe(201);
  const key = { 'x-api-key': created.body.apiKey };
  const call = (url: string, method: string, body?: unknown) => request(url, method, body, key);
  expect((await call(`${centum.url}/v1/partner/webhook-settings`, 'PUT', { url: receiver.url })).status).toBe(200);
  const iban = (await call(`${centum.url}/v1/partner/balances`, 'GET')).body.fiatBalances[0].iban;
  const EVENTS = 10;
  for (let i = 0; i < EVENTS; i++) {
    const res = await call(`${centum.url}/v1/sandbox/sepa-deposit`, 'POST', { iban, amount: `${i + 1}.00` });
    expect(res.status).toBe(201);
  }
  await receiver.waitFor(2); // calls are open: kill now
  child.kill('SIGKILL');
  await new Promise((resolve) => child!.once('exit', resolve));
  for (const release of held) release();
  const beforeCrash = receiver.received.length;

  // Phase 2: restart on the same database; the receiver now answers 200. Queued first attempts go
  // out at once; interrupted ones are retried by their pre-queued next attempt, 8 s later in
  // simulated time, so move the clock until every delivery has succeeded.
  receiver.respond = answer(200);
  centum = await startCentum({ WEBHOOK_TIMEOUT_MS: '1000' });
  child = centum.proc;
  let log: any[] = [];
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    expect((await call(`${centum.url}/v1/sandbox/clock/advance`, 'POST', { seconds: 10 })).status).toBe(200);
    log = (await call(`${centum.url}/v1/partner/webhook-deliveries?limit=100`, 'GET')).body.deliveries;
    if (log.length === EVENTS && log.every((d: any) => d.status === 'SUCCEEDED')) break;
    await new Promise((r) => setTimeout(r, 250));
  }

  expect(log).toHaveLength(EVENTS); // one chain per event
  for (const d of log) expect(d.status, JSON.stringify(d)).toBe('SUCCEEDED');
  const interrupted = log.filter((d: any) => d.attempts.some((a: any) => a.status === 'INTERRUPTED'));
  expect(interrupted.length).toBeGreaterThanOrEqual(beforeCrash); // every held call was cut off
  for (const d of interrupted) expect(d.attempts.map((a: any) => a.status)).toEqual(['INTERRUPTED', 'SUCCEEDED']);

  // Every event arrived with its successful attempt; no (event, attempt) pair arrived twice.
  const pairs = receiver.received.map((r) => `${r.headers['centum-event-id']}#${r.headers['centum-attempt']}`);
  expect(new Set(pairs).size).toBe(pairs.length);
  for (const d of log) expect(pairs).toContain(`${d.eventId}#${d.attemptCount}`);
  expect(receiver.received.length).toBeLessThanOrEqual(EVENTS + interrupted.length);
  child.kill('SIGTERM');
}, 180_000);
