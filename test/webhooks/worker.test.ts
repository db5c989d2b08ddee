import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWorker } from '../../src/jobs/worker.js';
import { emitEvent } from '../../src/outbox/events.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { startReceiver, type Receiver } from './receiver.js';

let t: TestApp;
let slow: Receiver;
let fast: Receiver;
beforeAll(async () => {
  t = await startTestApp({ WEBHOOK_TIMEOUT_MS: '60000' });
  slow = await startReceiver();
  fast = await startReceiver();
});
afterAll(async () => {
  await slow?.close();
  await fast?.close();
  await t?.close();
});

it('a partner server that hangs does not hold up the worker (one loop)', async () => {
  const a = await t.createPartner('Slow');
  const b = await t.createPartner('Fast');
  await a.call('PUT', '/v1/partner/webhook-settings', { url: slow.url });
  await b.call('PUT', '/v1/partner/webhook-settings', { url: fast.url });
  const held: (() => void)[] = [];
  slow.respond = (_req, res) => void held.push(() => res.writeHead(200).end('{}'));

  await t.db.tx((q) => emitEvent(q, a.id, 'user.status', { externalUserId: 'slow', status: 'ACTIVE' }));
  const worker = startWorker(t.db, { pollMs: 20, concurrency: 1 });
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
