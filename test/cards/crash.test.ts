import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPostgres, openPglite, type Db } from '../../src/kernel/db.js';
import { checkInvariant } from '../../src/ledger/index.js';
import { callAt, crashSetup, createPartnerAt, kill, startServer } from '../jobs/process.js';
import { request, type ApiResponse } from '../support/app.js';
import { kycBody } from '../support/users.js';

/**
 * kill -9 while authorizations (with Idempotency-Keys) are in flight, before any capture, then a
 * restart: every key replays its committed answer or runs once, each approved hold is still there,
 * captures and the expiry job then resolve every one exactly once, and the ledger balances.
 */
const { pg: PG, dataDir, env, children, cleanUp } = await crashSetup('centum_cards_crash');
afterAll(cleanUp);

describe('crash between authorization and capture', () => {
  it('kill -9, restart: nothing lost, nothing twice', async () => {
    const serverEnv = { ...env, CENTUM_CARD_AUTH_EXPIRY_SECONDS: '3600' };
    const a = await startServer(serverEnv);
    children.push(a);
    const partner = await createPartnerAt(a.url);
    const call = callAt(a.url, partner.apiKey);
    const iban = (await call('GET', '/v1/partner/balances')).body.fiatBalances[0].iban;
    expect((await call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '1000.00' })).status).toBe(201);
    expect((await call('POST', '/v1/user/balances/crypto-and-fiat', kycBody('u'))).status).toBe(200);
    expect((await call('POST', '/v1/sandbox/kyc-decision', { externalUserId: 'u', decision: 'APPROVED' })).status).toBe(200);
    expect((await call('POST', '/v1/transfer', { destinationExternalUserId: 'u', currency: 'eur', amount: '900.00' })).status).toBe(200);
    const created = await call('POST', '/v1/card/virtual', { externalUserId: 'u', label: 'Crash card', pin: '4821' });
    expect(created.status).toBe(200);
    const { cardId } = created.body;
    expect((await call('PATCH', '/v1/card/limits', { externalUserId: 'u', cardId, dailyTrxAll: 5000, monthlyTrxAll: 5000 })).status).toBe(200);

    const body = { cardId, amount: '1.00', currency: 'eur', channel: 'POS', merchantName: 'Kiosk', mcc: '5994' };
    const send = (url: string, key: string) =>
      request(`${url}/v1/sandbox/card/authorizations`, 'POST', body, { 'x-api-key': partner.apiKey, 'idempotency-key': key });
    const keys: string[] = [];
    const answered = new Map<string, ApiResponse>();
    let killed = false;
    const load = Promise.all(Array.from({ length: 6 }, async (_, c) => {
      for (let i = 0; !killed; i++) {
        const key = `auth-${c}-${i}`;
        keys.push(key);
        try {
          answered.set(key, await send(a.url, key));
        } catch {
          return;
        }
      }
    }));
    await new Promise((r) => setTimeout(r, 1500));
    killed = true;
    await kill(a, 'SIGKILL');
    await load;
    expect(answered.size).toBeGreaterThan(0);

    const b = await startServer(serverEnv);
    children.push(b);
    const again = callAt(b.url, partner.apiKey);
    const ids = new Set<string>();
    for (const key of keys) {
      const res = await send(b.url, key);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.status).toBe('PENDING');
      const before = answered.get(key);
      if (before?.status === 201) expect(res.body.authorizationId).toBe(before.body.authorizationId);
      ids.add(res.body.authorizationId);
    }
    expect(ids.size).toBe(keys.length);
    const held = keys.length;
    const eur = async () => Number((await again('GET', '/v1/user/balances/u')).body.fiatBalances[0].amount);
    expect(await eur()).toBeCloseTo(900 - held, 2);
    // Capture half, race a second capture on each; the rest expires on the sandbox clock.
    const list = [...ids];
    const toCapture = list.slice(0, Math.ceil(list.length / 2));
    for (const id of toCapture) {
      const [x, y] = await Promise.all([0, 1].map(() => again('POST', `/v1/sandbox/card/authorizations/${id}/capture`, {})));
      expect([x.status, y.status].sort()).toEqual([200, 400]);
    }
    expect((await again('POST', '/v1/sandbox/clock/advance', { seconds: 7200 })).status).toBe(200);
    await kill(b, 'SIGTERM');

    const db: Db = PG ? connectPostgres(PG, { poolSize: 2 }) : await openPglite(path.join(dataDir!, 'pglite'));
    try {
      const rows = await db.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM card_authorizations WHERE card_id = $1 GROUP BY status ORDER BY status', [cardId],
      );
      expect(Object.fromEntries(rows.map((r) => [r.status, r.n]))).toEqual({ CAPTURED: toCapture.length, EXPIRED: list.length - toCapture.length });
      const [user] = await db.query<{ posted: bigint; pending_debits: bigint }>(
        `SELECT a.posted, a.pending_debits FROM accounts a JOIN users u ON u.id = a.user_id WHERE u.partner_id = $1 AND a.currency = 'eur'`, [partner.id],
      );
      expect(user).toEqual({ posted: 90_000n - BigInt(toCapture.length) * 100n, pending_debits: 0n });
      const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM postings WHERE kind = 'card_transaction' AND partner_id = $1`, [partner.id]);
      expect(n).toBe(toCapture.length);
      expect((await checkInvariant(db)).balanced).toBe(true);
    } finally {
      await db.close();
    }
  }, 240_000);
});
