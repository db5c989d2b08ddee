import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { emitEvent, EVENT_PATHS } from '../../src/outbox/events.js';
import { drainJobs } from '../../src/jobs/queue.js';
import { verifyTimedSignature } from '../../src/modules/webhooks/signing.js';
import { answer, startReceiver, type Receiver } from './receiver.js';

let t: TestApp;
let receiver: Receiver;

beforeAll(async () => {
  t = await startTestApp({ WEBHOOK_TIMEOUT_MS: '500' });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});
beforeEach(() => {
  receiver.received.length = 0;
  receiver.respond = answer(200);
});

const advance = (p: TestPartner, seconds: number) => p.call('POST', '/v1/sandbox/clock/advance', { seconds });
const emit = (p: TestPartner, type: keyof typeof EVENT_PATHS, payload: Record<string, unknown>) =>
  t.db.tx((q) => emitEvent(q, p.id, type, payload));
const deliveries = async (p: TestPartner, query = '') => (await p.call('GET', `/v1/partner/webhook-deliveries${query}`)).body;

async function partnerWithReceiver(base = `${receiver.url}/hooks`): Promise<TestPartner> {
  const p = await t.createPartner('Webhook partner');
  const res = await p.call('PUT', '/v1/partner/webhook-settings', { url: base });
  expect(res.status).toBe(200);
  return p;
}

describe('webhook settings', () => {
  it('defaults to no URL, saves a URL, format and switch, and keeps partners apart', async () => {
    const p = await t.createPartner();
    const other = await t.createPartner();
    expect((await p.call('GET', '/v1/partner/webhook-settings')).body).toEqual({ url: null, enabled: true, payloadFormat: 'flat', updatedAt: null });
    const put = await p.call('PUT', '/v1/partner/webhook-settings', { url: 'http://127.0.0.1:9/base/', payloadFormat: 'envelope', enabled: false });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ url: 'http://127.0.0.1:9/base', payloadFormat: 'envelope', enabled: false });
    expect((await p.call('GET', '/v1/partner/webhook-settings')).body).toMatchObject({ url: 'http://127.0.0.1:9/base', enabled: false });
    expect((await other.call('GET', '/v1/partner/webhook-settings')).body.url).toBeNull();
  });

  it('rejects bad settings with P403 and changes nothing', async () => {
    const p = await t.createPartner();
    await p.call('PUT', '/v1/partner/webhook-settings', { url: 'https://example.com/hooks' });
    for (const body of [
      { url: 'ftp://example.com' }, { url: 'not a url' }, { url: 'https://u:p@example.com' }, { url: 'https://example.com/?a=1' },
      { url: 'https://example.com', payloadFormat: 'xml' }, { url: 'https://example.com', enabled: 'maybe' }, { url: 'https://example.com', extra: 1 }, {},
    ]) {
      const res = await p.call('PUT', '/v1/partner/webhook-settings', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errorCode).toBe('P403');
    }
    const malformed = await p.call('PUT', '/v1/partner/webhook-settings', '{"url":', { 'content-type': 'application/json' });
    expect(malformed.body.errorCode).toBe('P403');
    expect((await p.call('GET', '/v1/partner/webhook-settings')).body).toMatchObject({ url: 'https://example.com/hooks', enabled: true, payloadFormat: 'flat' });
  });

  it('needs the API key', async () => {
    const res = await fetch(`${t.url}/v1/partner/webhook-settings`);
    expect(res.status).toBe(401);
  });
});

describe('delivery', () => {
  it('POSTs the flat body to base URL + path with the token, both signatures and an event id', async () => {
    const p = await partnerWithReceiver();
    const payload = { externalUserId: 'u-1', status: 'ACTIVE' };
    const eventId = await emit(p, 'user.status', payload);
    await advance(p, 0);
    const [got] = await receiver.waitFor(1);
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/hooks/webhook/user/status');
    expect(got.json).toEqual(payload);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers.authorization).toBe(p.webhookToken);
    expect(got.headers['x-p100-signature']).toBe(createHmac('sha256', p.webhookToken).update(got.body).digest('hex'));
    expect(verifyTimedSignature(p.webhookToken, got.body, String(got.headers['centum-signature']))).toBe(true);
    expect(verifyTimedSignature(p.webhookToken, got.body + ' ', String(got.headers['centum-signature']))).toBe(false);
    expect(verifyTimedSignature('wh_wrong', got.body, String(got.headers['centum-signature']))).toBe(false);
    const old = Math.floor(Date.now() / 1000) - 301;
    const stale = `t=${old},v1=${createHmac('sha256', p.webhookToken).update(`${old}.${got.body}`).digest('hex')}`;
    expect(verifyTimedSignature(p.webhookToken, got.body, stale)).toBe(false);
    expect(got.headers['centum-event-id']).toBe(eventId);
    expect(got.headers['centum-event-type']).toBe('user.status');
    expect(got.headers['centum-attempt']).toBe('1');

    const log = await deliveries(p);
    expect(log.deliveries).toHaveLength(1);
    const [d] = log.deliveries;
    expect(d).toMatchObject({ eventId, eventType: 'user.status', status: 'SUCCEEDED', attemptCount: 1, payload, replayOf: null, nextAttemptAt: null });
    expect(d.id).toBe(got.headers['centum-delivery-id']);
    expect(d.attempts).toHaveLength(1);
    expect(d.attempts[0]).toMatchObject({ attempt: 1, status: 'SUCCEEDED', statusCode: 200, error: null, url: `${receiver.url}/hooks/webhook/user/status` });
    expect(d.attempts[0].latencyMs).toBeGreaterThanOrEqual(0);
    // nothing else is sent later
    await advance(p, 3600);
    expect(receiver.received).toHaveLength(1);
  });

  it('wraps the body in an envelope when asked', async () => {
    const p = await partnerWithReceiver();
    await p.call('PUT', '/v1/partner/webhook-settings', { url: `${receiver.url}/env`, payloadFormat: 'envelope' });
    const eventId = await emit(p, 'crypto_deposit.status', { cryptoDepositId: 'x', status: 'SUCCESSFUL' });
    await emit(p, 'card.3ds_code', { code: '123456' });
    await advance(p, 0);
    const got = await receiver.waitFor(2);
    expect(got[0].path).toBe('/env/webhook/crypto-deposit/status');
    expect(got[0].json).toMatchObject({ event_type: 'crypto_deposit.status_changed', event_id: eventId, data: { cryptoDepositId: 'x', status: 'SUCCESSFUL' } });
    expect(got[1].json).toMatchObject({ event_type: 'card.3ds_code', data: { code: '123456' } });
  });

  it('retries a 401 after 8, 16, 32 and 64 s of simulated time, then gives up', async () => {
    const p = await partnerWithReceiver();
    receiver.respond = answer(401);
    await emit(p, 'transfer.status', { id: 't-1', status: 'SUCCESSFUL' });
    await advance(p, 0);
    expect(receiver.received).toHaveLength(1);
    let [d] = (await deliveries(p)).deliveries;
    expect(d).toMatchObject({ status: 'PENDING', attemptCount: 1 });
    expect(d.attempts[0]).toMatchObject({ status: 'FAILED', statusCode: 401, error: 'HTTP 401' });
    const failedAt = Date.parse(d.attempts[0].finishedAt);
    expect(Date.parse(d.nextAttemptAt) - failedAt).toBe(8000);

    let expected = 1;
    for (const delay of [8, 16, 32, 64]) {
      await advance(p, delay - 1);
      expect(receiver.received, `not before ${delay} s`).toHaveLength(expected);
      await advance(p, 1);
      expected++;
      expect(receiver.received, `after ${delay} s`).toHaveLength(expected);
      expect(receiver.received[expected - 1].headers['centum-attempt']).toBe(String(expected));
    }
    await advance(p, 3600);
    expect(receiver.received).toHaveLength(5);
    [d] = (await deliveries(p)).deliveries;
    expect(d).toMatchObject({ status: 'FAILED', attemptCount: 5, nextAttemptAt: null });
    expect(d.attempts.map((a: any) => a.statusCode)).toEqual([401, 401, 401, 401, 401]);
    const starts = d.attempts.map((a: any) => Date.parse(a.startedAt));
    const gaps = starts.slice(1).map((s: number, i: number) => Math.round((s - starts[i]) / 1000));
    expect(gaps).toEqual([8, 16, 32, 64]);
    expect(new Set(receiver.received.map((r) => r.headers['centum-event-id'])).size).toBe(1);
  });

  it('counts timeouts and refused connections as failures, and succeeds on a later attempt', async () => {
    const p = await partnerWithReceiver();
    let calls = 0;
    receiver.respond = (_req, res) => {
      calls++;
      if (calls === 1) setTimeout(() => res.writeHead(200).end('{}'), 1500); // longer than WEBHOOK_TIMEOUT_MS=500
      else if (calls === 2) res.writeHead(500).end('oops');
      else res.writeHead(204).end();
    };
    await emit(p, 'order.status', { id: 'o-1', status: 'COMPLETED' });
    await advance(p, 0);
    await advance(p, 8);
    await advance(p, 16);
    const [d] = (await deliveries(p)).deliveries;
    expect(d.status).toBe('SUCCEEDED');
    expect(d.attempts.map((a: any) => [a.status, a.statusCode, a.error])).toEqual([
      ['FAILED', null, 'timeout after 500 ms'], ['FAILED', 500, 'HTTP 500'], ['SUCCEEDED', 204, null],
    ]);
    await advance(p, 3600);
    expect(calls).toBe(3);

    const closed = await t.createPartner();
    await closed.call('PUT', '/v1/partner/webhook-settings', { url: 'http://127.0.0.1:9' }); // discard port: refused
    await emit(closed, 'order.status', { id: 'o-2', status: 'COMPLETED' });
    await advance(closed, 0);
    const [c] = (await deliveries(closed)).deliveries;
    expect(c.attempts[0]).toMatchObject({ status: 'FAILED', statusCode: null });
    expect(c.attempts[0].error).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('records events from before a URL was set as SKIPPED, and replays them once it is', async () => {
    const p = await t.createPartner();
    const eventId = await emit(p, 'wallet.status', { id: 'w-1', status: 'ACTIVE' });
    await advance(p, 0);
    let [d] = (await deliveries(p)).deliveries;
    expect(d).toMatchObject({ status: 'SKIPPED', skipReason: 'no webhook URL configured', attempts: [] });
    const refused = await p.call('POST', `/v1/partner/webhook-deliveries/${d.id}/replay`);
    expect(refused.status).toBe(400);
    expect(refused.body.errorCode).toBe('P652');

    await p.call('PUT', '/v1/partner/webhook-settings', { url: receiver.url });
    const replay = await p.call('POST', `/v1/partner/webhook-deliveries/${d.id}/replay`);
    expect(replay.status).toBe(201);
    expect(replay.body).toMatchObject({ eventId, replayOf: d.id, status: 'PENDING', attemptCount: 0 });
    await advance(p, 0);
    const [got] = await receiver.waitFor(1);
    expect(got.headers['centum-event-id']).toBe(eventId);
    expect(got.headers['centum-delivery-id']).toBe(replay.body.id);
    [d] = (await deliveries(p, `?eventId=${eventId}&status=SUCCEEDED`)).deliveries;
    expect(d.id).toBe(replay.body.id);

    // disabled: skipped too
    await p.call('PUT', '/v1/partner/webhook-settings', { url: receiver.url, enabled: false });
    await emit(p, 'wallet.status', { id: 'w-2', status: 'ACTIVE' });
    await advance(p, 0);
    expect((await deliveries(p, '?status=SKIPPED')).deliveries[0].skipReason).toBe('webhooks disabled');
    expect(receiver.received).toHaveLength(1);
  });

  it('replays a failed delivery as a new chain with the same event id', async () => {
    const p = await partnerWithReceiver();
    receiver.respond = answer(401);
    const eventId = await emit(p, 'exchange.status', { id: 'e-1', status: 'COMPLETED' });
    for (const s of [0, 8, 16, 32, 64]) await advance(p, s);
    expect(receiver.received).toHaveLength(5);
    const [failed] = (await deliveries(p)).deliveries;
    expect(failed.status).toBe('FAILED');
    receiver.respond = answer(200);
    const replay = await p.call('POST', `/v1/partner/webhook-deliveries/${failed.id}/replay`, undefined, { 'Idempotency-Key': `r-${failed.id}` });
    expect(replay.status).toBe(201);
    const again = await p.call('POST', `/v1/partner/webhook-deliveries/${failed.id}/replay`, undefined, { 'Idempotency-Key': `r-${failed.id}` });
    expect(again.body.id).toBe(replay.body.id); // same key: no second chain
    await advance(p, 0);
    expect(receiver.received).toHaveLength(6);
    expect(receiver.received[5].headers['centum-event-id']).toBe(eventId);
    const log = (await deliveries(p)).deliveries;
    expect(log.map((d: any) => [d.status, d.replayOf])).toEqual([['SUCCEEDED', failed.id], ['FAILED', null]]);
  });

  it('answers P651 for unknown, malformed or another partner\'s delivery ids, and P403 for bad filters', async () => {
    const p = await partnerWithReceiver();
    const other = await t.createPartner();
    await emit(p, 'user.status', { externalUserId: 'u', status: 'ACTIVE' });
    await advance(p, 0);
    const [d] = (await deliveries(p)).deliveries;
    for (const id of [d.id, '0190a0a0-0000-7000-8000-000000000000', 'nope']) {
      const res = await other.call('POST', `/v1/partner/webhook-deliveries/${id}/replay`);
      expect(res.status).toBe(404);
      expect(res.body.errorCode).toBe('P651');
    }
    expect((await deliveries(other)).deliveries).toEqual([]);
    for (const q of ['?status=DONE', '?eventType=nope', '?eventId=1', '?limit=0', '?limit=101', '?cursor=abc', '?cursor=WyJ4Il0']) {
      const res = await p.call('GET', `/v1/partner/webhook-deliveries${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.errorCode).toBe('P403');
    }
  });

  it('pages the log with a cursor, newest first, and filters by event type', async () => {
    const p = await partnerWithReceiver();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await emit(p, i % 2 ? 'sepa_deposit.status' : 'user.status', { n: i }));
    await advance(p, 0);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await deliveries(p, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.deliveries.length).toBeLessThanOrEqual(2);
      seen.push(...page.deliveries.map((d: any) => d.eventId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const deposits = (await deliveries(p, '?eventType=sepa_deposit.status')).deliveries;
    expect(deposits.map((d: any) => d.eventId)).toEqual([ids[3], ids[1]]);
    const all = (await deliveries(p)).deliveries;
    const later = (await advance(p, 60)).body.now;
    const newest = await emit(p, 'user.status', { n: 5 });
    await advance(p, 0);
    expect((await deliveries(p, `?from=${encodeURIComponent(later)}`)).deliveries.map((d: any) => d.eventId)).toEqual([newest]);
    expect((await deliveries(p, `?to=${encodeURIComponent(later)}`)).deliveries).toHaveLength(all.length);
    expect((await p.call('GET', '/v1/partner/webhook-deliveries?from=yesterday')).body.errorCode).toBe('P403');
  });

  it('delivers each event once when several workers drain at the same time', async () => {
    const p = await partnerWithReceiver();
    const ids = await t.db.tx(async (q) => {
      const out: string[] = [];
      for (let i = 0; i < 40; i++) out.push(await emitEvent(q, p.id, 'user.status', { externalUserId: `u-${i}`, status: 'ACTIVE' }));
      return out;
    });
    const jobs = t.app.ctx.jobs;
    await Promise.all([drainJobs(t.db, jobs, p.id), drainJobs(t.db, jobs, p.id), drainJobs(t.db, jobs, p.id), drainJobs(t.db, jobs, p.id)]);
    await receiver.waitFor(40);
    const got = receiver.received.map((r) => r.headers['centum-event-id']);
    expect(got.sort()).toEqual([...ids].sort());
    const log = (await deliveries(p, '?limit=100')).deliveries;
    expect(log).toHaveLength(40);
    expect(log.every((d: any) => d.status === 'SUCCEEDED' && d.attempts.length === 1)).toBe(true);
  });

  it('writes nothing when the producing transaction rolls back', async () => {
    const p = await partnerWithReceiver();
    await expect(t.db.tx(async (q) => {
      await emitEvent(q, p.id, 'user.status', { externalUserId: 'ghost', status: 'ACTIVE' });
      throw new Error('rollback');
    })).rejects.toThrow('rollback');
    await advance(p, 60);
    expect(receiver.received).toHaveLength(0);
    expect((await deliveries(p)).deliveries).toEqual([]);
  });
});
