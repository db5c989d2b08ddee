import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPostgres, openPglite, type Db } from '../../src/kernel/db.js';
import { checkInvariant } from '../../src/ledger/index.js';
import { callAt, crashSetup, createPartnerAt, kill, startServer } from '../jobs/process.js';
import { request, type ApiResponse } from '../support/app.js';

/**
 * kill -9 while clients send money movements with Idempotency-Keys, then a restart: every key
 * either replays its committed answer or runs once; no key is stuck IN_PROGRESS (409 P602); every
 * SEPA transfer settles once with one final event. PostgreSQL with DATABASE_URL, else PGlite.
 */
const { pg: PG, dataDir, env, children, cleanUp } = await crashSetup('centum_rel_crash');
afterAll(cleanUp);

const DEST = 'DE89370400440532013000';
const CLIENTS = 8;

interface Sent {
  key: string;
  path: string;
  body: Record<string, unknown>;
  cents: number;
}

describe('crash with Idempotency-Keys in flight', () => {
  it('kill -9 under load, restart: each key replays its committed result or runs once', async () => {
    const a = await startServer(env);
    children.push(a);
    const partner = await createPartnerAt(a.url);
    const call = callAt(a.url, partner.apiKey);
    const iban = (await call('GET', '/v1/partner/balances')).body.fiatBalances[0].iban;
    expect((await call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '100000.00' })).status).toBe(201);
    expect((await call('POST', '/v1/user/balances/crypto', {
      externalUserId: 'u', email: 'u@example.com', firstName: 'Ann', lastName: 'Lee', country: 'PL',
    })).status).toBe(200);

    const send = (url: string, s: Sent): Promise<ApiResponse> =>
      request(`${url}${s.path}`, 'POST', s.body, { 'x-api-key': partner.apiKey, 'idempotency-key': s.key });
    const sent: Sent[] = [];
    const answered = new Map<string, ApiResponse>();
    let killed = false;
    const load = Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; !killed; i++) {
        const s: Sent = i % 4 === 3
          ? { key: `sepa-${c}-${i}`, path: '/v1/partner/sepa-transfer', cents: 1100,
              body: { amount: '10.00', currency: 'eur', destinationIban: DEST, transferTitle: `crash ${c}-${i}` } }
          : { key: `tr-${c}-${i}`, path: '/v1/transfer', cents: 100,
              body: { destinationExternalUserId: 'u', currency: 'eur', amount: '1.00' } };
        sent.push(s);
        try {
          answered.set(s.key, await send(a.url, s));
        } catch {
          return; // the server died under this request
        }
      }
    }));
    await new Promise((r) => setTimeout(r, Number(process.env.CRASH_TEST_KILL_AFTER_MS ?? 1500)));
    killed = true;
    await kill(a, 'SIGKILL');
    await load;
    const inFlight = sent.filter((s) => !answered.has(s.key)).length;

    const b = await startServer(env);
    children.push(b);
    // Every key again, the in-flight ones included: all must end 200 (replayed or run now).
    let replayed = 0;
    const results = new Map<string, ApiResponse>();
    for (const s of sent) {
      const res = await send(b.url, s);
      expect(res.status, `${s.key}: ${JSON.stringify(res.body)}`).toBe(200);
      if (res.headers.get('idempotent-replayed') === 'true') replayed++;
      const before = answered.get(s.key);
      if (before) expect(res.body, s.key).toEqual(before.body); // what the client saw is what was committed
      results.set(s.key, res);
    }
    expect((await callAt(b.url, partner.apiKey)('POST', '/v1/sandbox/clock/advance', { seconds: 3600 })).status).toBe(200);
    await kill(b, 'SIGTERM');

    const db: Db = PG ? connectPostgres(PG, { poolSize: 2 }) : await openPglite(path.join(dataDir!, 'pglite'));
    try {
      const transferIds = sent.filter((s) => s.path === '/v1/transfer').map((s) => results.get(s.key)!.body.transferId);
      const sepaIds = sent.filter((s) => s.path !== '/v1/transfer').map((s) => results.get(s.key)!.body.transferId);
      expect(new Set(transferIds).size).toBe(transferIds.length);
      expect(new Set(sepaIds).size).toBe(sepaIds.length);
      const rows = await db.query<{ id: string }>('SELECT id FROM transfers WHERE partner_id = $1', [partner.id]);
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(transferIds));
      const sepa = await db.query<{ id: string; status: string }>('SELECT id, status FROM sepa_transfers WHERE partner_id = $1', [partner.id]);
      expect(new Set(sepa.map((r) => r.id))).toEqual(new Set(sepaIds));
      expect(sepa.every((r) => r.status === 'SUCCESSFUL')).toBe(true);
      for (const id of sepaIds) {
        const [row] = await db.query<{ postings: number; finals: number }>(
          `SELECT (SELECT count(*)::int FROM postings WHERE ref_id = $1) AS postings,
                  (SELECT count(*)::int FROM events WHERE payload->>'id' = $2 AND payload->>'status' = 'SUCCESSFUL') AS finals`,
          [id, id],
        );
        expect(row, id).toEqual({ postings: 1, finals: 1 });
      }
      const spent = sent.reduce((sum, s) => sum + s.cents, 0);
      const [eur] = await db.query<{ posted: bigint; pending_debits: bigint }>(
        `SELECT posted, pending_debits FROM accounts WHERE partner_id = $1 AND owner_type = 'partner' AND currency = 'eur'`, [partner.id],
      );
      expect(eur).toEqual({ posted: 10_000_000n - BigInt(spent), pending_debits: 0n });
      expect((await checkInvariant(db)).balanced).toBe(true);
      console.log(`crash test: ${sent.length} keyed requests, ${inFlight} in flight at the kill, ${replayed} replayed after the restart`);
      expect(inFlight).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  }, 180_000);
});
