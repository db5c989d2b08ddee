import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';

let t: TestApp;
let partner: TestPartner;

beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner();
});
afterAll(() => t.close());

// The sandbox clock is a POST with an observable effect: each run moves the partner's clock.
const offsetOf = async (p: TestPartner) =>
  Number((await t.db.query<{ clock_offset_ms: bigint }>('SELECT clock_offset_ms FROM partners WHERE id = $1', [p.id]))[0].clock_offset_ms);

describe('Idempotency-Key', () => {
  it('replays the first response for a retry and applies the request once', async () => {
    const headers = { 'idempotency-key': 'advance-1' };
    const first = await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 60 }, headers);
    const retry = await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 60 }, headers);
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await offsetOf(partner)).toBe(60_000);
  });

  it('answers 409 P601 for the same key with another body, and changes nothing', async () => {
    const headers = { 'idempotency-key': 'advance-2' };
    await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 1 }, headers);
    const before = await offsetOf(partner);
    const other = await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 2 }, headers);
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ errorCode: 'P601', errorName: 'idempotency-key-reused' });
    expect(await offsetOf(partner)).toBe(before);
  });

  it('answers 409 P602 while the first request is still running', async () => {
    // A second app on the same database whose driver stalls the first request mid-flight.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = await startTestApp({}, {
      wrapDb: (db) => ({
        ...db,
        query: async (sql, params) => {
          if (sql.includes('clock_offset_ms = clock_offset_ms +')) await gate;
          return db.query(sql, params);
        },
      }),
    });
    try {
      const p = await slow.createPartner();
      const headers = { 'idempotency-key': 'slow-1' };
      const first = p.call('POST', '/v1/sandbox/clock/advance', { seconds: 5 }, headers);
      await new Promise((r) => setTimeout(r, 100));
      const concurrent = await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 5 }, headers);
      release();
      expect(concurrent.status).toBe(409);
      expect(concurrent.body).toMatchObject({ errorCode: 'P602', errorName: 'idempotency-request-in-progress' });
      expect((await first).status).toBe(200);
      const replay = await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 5 }, headers);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      release();
      await slow.close();
    }
  });

  it('scopes keys by partner', async () => {
    const other = await t.createPartner('Other');
    const headers = { 'idempotency-key': 'advance-1' };
    const res = await other.call('POST', '/v1/sandbox/clock/advance', { seconds: 7 }, headers);
    expect(res.status).toBe(200);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(await offsetOf(other)).toBe(7_000);
  });
});
