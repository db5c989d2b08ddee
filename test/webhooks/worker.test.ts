import { afterAll, beforeAll, expect, it } from 'vitest';
import { runOneJob } from '../../src/jobs/queue.js';
import { startWorker } from '../../src/jobs/worker.js';
import { emitEvent } from '../../src/outbox/events.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { startReceiver, type Receiver } from './receiver.js';

let t: TestApp;
let slow: Receiver;
let fast: Receiver;
// The worker runs every due job it sees: on PostgreSQL it gets a database of its own, or it would
// run other test files' jobs with this app's settings.
const own = await isolatedDatabase('centum_webhook_worker');
beforeAll(async () => {
  t = await startTestApp({ WEBHOOK_TIMEOUT_MS: '60000', ...(own ? { DATABASE_URL: own.url } : {}) });
  slow = await startReceiver();
  fast = await startReceiver();
});
afterAll(async () => {
  await slow?.close();
  await fast?.close();
  await t?.close();
  await own?.drop();
});

it('a partner server that hangs does not hold up the worker (one loop)', async () => {
  const a = await t.createPartner('Slow');
  const b = await t.createPartner('Fast');
  await a.call('PUT', '/v1/partner/webhook-settings', { url: slow.url });
  await b.call('PUT', '/v1/partner/webhook-settings', { url: fast.url });
  const held: (() => void)[] = [];
  slow.respond = (_req, res) => void held.push(() => res.writeHead(200).end('{}'));

  await t.db.tx((q) => emitEvent(q, a.id, 'user.status', { externalUserId: 'slow', status: 'ACTIVE' }));
  const worker = startWorker(t.db, t.app.ctx.jobs, { pollMs: 20, concurrency: 1 });
  try {
    await slow.waitFor(1); // the single loop has started the call that hangs...
    for (let i = 0; i < 5; i++) await t.db.tx((q) => emitEvent(q, b.id, 'user.status', { externalUserId: `fast-${i}`, status: 'ACTIVE' }));
    await fast.waitFor(5); // ...and still delivers the other partner's events
    held.forEach((release) => release());
    for (let i = 0; i < 200; i++) {
      const [d] = (await a.call('GET', '/v1/partner/webhook-deliveries')).body.deliveries;
      if (d.status === 'SUCCEEDED') break;
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await worker.stop(); // waits for calls in flight
  }
  const [d] = (await a.call('GET', '/v1/partner/webhook-deliveries')).body.deliveries;
  expect(d).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1 });
  expect(slow.received).toHaveLength(1);
});

it('an attempt due while the previous call is still in flight waits for it instead of overlapping', async () => {
  const p = await t.createPartner('In flight');
  const local = await startReceiver();
  try {
    await p.call('PUT', '/v1/partner/webhook-settings', { url: local.url });
    const held: (() => void)[] = [];
    local.respond = (_req, res) => void held.push(() => res.writeHead(500).end('{}'));
    await t.db.tx((q) => emitEvent(q, p.id, 'user.status', { externalUserId: 'x', status: 'ACTIVE' }));
    // A worker claims attempt 1 and leaves its call running (as the background worker does).
    let inFlight: Promise<void> | undefined;
    expect(await runOneJob(t.db, t.app.ctx.jobs, p.id, { detachAfterCommit: (work) => { inFlight = work; } })).toBe(true);
    await local.waitFor(1);

    // The sandbox clock jumps past the retry delay while the call is still open: no second call.
    await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 8 });
    expect(local.received).toHaveLength(1);

    // The call fails: attempt 2 is due 8 s after that failure, and is then made once.
    held.forEach((release) => release());
    await inFlight;
    local.respond = (_req, res) => void res.writeHead(200).end('{}');
    let [d] = (await p.call('GET', '/v1/partner/webhook-deliveries')).body.deliveries;
    expect(d.attempts.map((a: any) => [a.status, a.statusCode])).toEqual([['FAILED', 500]]);
    await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 7 });
    expect(local.received).toHaveLength(1);
    await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 1 });
    expect(local.received).toHaveLength(2);
    [d] = (await p.call('GET', '/v1/partner/webhook-deliveries')).body.deliveries;
    expect(d).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2 });
    expect(d.attempts.map((a: any) => a.status)).toEqual(['FAILED', 'SUCCEEDED']);
    await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 3600 });
    expect(local.received).toHaveLength(2);
    const [{ n }] = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE partner_id = $1 AND kind = 'webhook.attempt' AND status <> 'DONE'`, [p.id]);
    expect(n).toBe(0);
  } finally {
    await local.close();
  }
});
