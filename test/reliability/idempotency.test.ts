import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpired } from '../../src/jobs/retention.js';
import type { Db } from '../../src/kernel/db.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { advance, amounts, fund } from '../support/balances.js';

/**
 * Idempotency that survives failures: the key's answer commits with the request's effect, so a
 * failure after the effect leaves neither (and the retry runs once), and keys expire.
 */
let t: TestApp;
let partner: TestPartner;
beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner();
  await fund(partner, 'eur', '100.00');
  const user = await partner.call('POST', '/v1/user/balances/crypto', {
    externalUserId: 'u', email: 'u@example.com', firstName: 'Ann', lastName: 'Lee', country: 'PL',
  });
  expect(user.status).toBe(200);
});
afterAll(() => t.close());

const transfersOf = async (app: TestApp, p: { id: string }) =>
  (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM transfers WHERE partner_id = $1', [p.id]))[0].n;

describe('Idempotency-Key under failures', () => {
  it('a failure after the effect (P500) rolls the effect back, and the retry with the same key moves money once', async () => {
    // A second app on the same database whose driver fails once right after the transfer statement
    // ran, as a bug or a lost connection between two statements would.
    let failNext = true;
    const faulty = await startTestApp({}, {
      wrapDb: (db): Db => ({
        ...db,
        query: async <T>(sql: string, params?: unknown[]) => {
          const rows = await db.query<T>(sql, params);
          if (failNext && sql.includes('INSERT INTO transfers')) {
            failNext = false;
            throw new Error('fault injected after the transfer statement');
          }
          return rows;
        },
      }),
    });
    try {
      const p = await faulty.createPartner();
      await fund(p, 'eur', '10.00');
      expect((await p.call('POST', '/v1/user/balances/crypto', {
        externalUserId: 'v', email: 'v@example.com', firstName: 'Ann', lastName: 'Lee', country: 'PL',
      })).status).toBe(200);
      const headers = { 'idempotency-key': 'after-effect-1' };
      const body = { destinationExternalUserId: 'v', currency: 'eur', amount: '3.00' };
      const first = await p.call('POST', '/v1/transfer', body, headers);
      expect(first.body.errorCode).toBe('P500');
      expect(await transfersOf(faulty, p)).toBe(0);
      const retry = await p.call('POST', '/v1/transfer', body, headers);
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      const replay = await p.call('POST', '/v1/transfer', body, headers);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(retry.body);
      expect(await transfersOf(faulty, p)).toBe(1);
      expect((await amounts(p, 'v')).eur).toBe('3.00');
    } finally {
      await faulty.close();
    }
  });

  it('a business refusal is kept and replayed, and changes nothing', async () => {
    const headers = { 'idempotency-key': 'refused-1' };
    const body = { destinationExternalUserId: 'u', currency: 'eur', amount: '1000.00' };
    const first = await partner.call('POST', '/v1/transfer', body, headers);
    expect([first.status, first.body.errorCode]).toEqual([400, 'P433']);
    const again = await partner.call('POST', '/v1/transfer', body, headers);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await amounts(partner)).eur).toBe('100.00');
  });

  it('keys expire after IDEMPOTENCY_RETENTION_HOURS on the partner clock; younger keys stay', async () => {
    const body = { destinationExternalUserId: 'u', currency: 'eur', amount: '1.00' };
    const old = await partner.call('POST', '/v1/transfer', body, { 'idempotency-key': 'expires-1' });
    expect(old.status).toBe(200);
    await advance(partner, 23 * 3600);
    const young = await partner.call('POST', '/v1/transfer', body, { 'idempotency-key': 'expires-2' });
    expect(young.status).toBe(200);
    await advance(partner, 2 * 3600);
    const purged = await purgeExpired(t.db, t.config.retention);
    expect(purged.idempotencyHours).toBeGreaterThanOrEqual(1);
    expect(purged.jobsHours).toBeGreaterThanOrEqual(0);
    // The expired key is free again: a new request under it runs (it would be P601 otherwise).
    const reused = await partner.call('POST', '/v1/transfer', { ...body, amount: '2.00' }, { 'idempotency-key': 'expires-1' });
    expect(reused.status).toBe(200);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();
    const kept = await partner.call('POST', '/v1/transfer', body, { 'idempotency-key': 'expires-2' });
    expect(kept.headers.get('idempotent-replayed')).toBe('true');
    expect((await amounts(partner, 'u')).eur).toBe('4.00');
  });
});
