import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPostgres, openPglite, type Db } from '../../src/kernel/db.js';
import { checkInvariant } from '../../src/ledger/index.js';
import { deriveAddress } from '../../src/rails/chains/addresses.js';
import { failingAddress } from '../../src/rails/chains/simulator.js';
import { FAILING_IBAN } from '../../src/rails/sepa/simulator.js';
import { callAt, crashSetup, createPartnerAt, kill, startServer } from './process.js';

/**
 * Kill -9 while SEPA transfers and crypto withdrawals are settling, restart, and check every one
 * ends exactly once. PostgreSQL with DATABASE_URL; otherwise PGlite in a temporary DATA_DIR.
 */
const { pg: PG, dataDir, env, children, cleanUp } = await crashSetup('centum_jobs_crash');
afterAll(cleanUp);

const DEST = 'DE89370400440532013000';
const EVM_DEST = deriveAddress('outside-world', 'evm', 1).address;
const N = 30;

describe('crash safety', () => {
  it('a SIGKILL mid-settlement, then a restart: every transfer and withdrawal ends exactly once', async () => {
    const a = await startServer(env);
    children.push(a);
    const partner = await createPartnerAt(a.url);
    let call = callAt(a.url, partner.apiKey);
    const balances = (await call('GET', '/v1/partner/balances')).body;
    const iban = balances.fiatBalances[0].iban;
    const evm = balances.cryptoBalances.find((b: any) => b.name === 'eth').wallet;
    expect((await call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '100000' })).status).toBe(201);
    expect((await call('POST', '/v1/sandbox/crypto-deposit', { address: evm, currency: 'eth', amount: '10' })).status).toBe(201);
    expect((await call('POST', '/v1/sandbox/clock/advance', { seconds: 3600 })).status).toBe(200);

    const transfers: { id: string; fails: boolean }[] = [];
    const withdrawals: { id: string; fails: boolean }[] = [];
    for (let i = 0; i < N; i++) {
      const fails = i % 5 === 0;
      const t = await call('POST', '/v1/partner/sepa-transfer', {
        amount: '10.00', currency: 'eur', destinationIban: fails ? FAILING_IBAN : DEST, transferTitle: `crash ${i}`,
      });
      expect(t.status).toBe(200);
      transfers.push({ id: t.body.transferId, fails });
      const w = await call('POST', '/v1/partner/crypto-withdrawal', {
        currency: 'eth', amount: '0.01', walletAddress: fails ? failingAddress('ethereum') : EVM_DEST,
        name: 'R', walletType: 'OTHER', receiverType: 'NATURAL',
      });
      expect(w.status).toBe(200);
      withdrawals.push({ id: w.body.withdrawalId, fails });
    }

    // Settle in flight: the clock advance and the background worker both run the due jobs (about
    // 60 settlements plus their webhook jobs, a second or more); kill -9 a moment after they start.
    void call('POST', '/v1/sandbox/clock/advance', { seconds: 3600 }).catch(() => {});
    await new Promise((r) => setTimeout(r, Number(process.env.CRASH_TEST_KILL_AFTER_MS ?? 200)));
    await kill(a, 'SIGKILL');
    const killedAt = new Date();

    const b = await startServer(env);
    children.push(b);
    call = callAt(b.url, partner.apiKey);
    expect((await call('POST', '/v1/sandbox/clock/advance', { seconds: 3600 })).status).toBe(200);
    for (const t of transfers) {
      const d = await call('GET', `/v1/partner/sepa-transfer/details/${t.id}`);
      expect(d.body.status).toBe(t.fails ? 'FAILED' : 'SUCCESSFUL');
    }
    for (const w of withdrawals) {
      const d = await call('GET', `/v1/partner/crypto-withdrawal/details/${w.id}`);
      expect(d.body.status).toBe(w.fails ? 'FAILED' : 'SUCCESSFUL');
    }
    const health = await call('GET', '/health?ledger=true');
    expect(health.body.ledger.balanced).toBe(true);
    await kill(b, 'SIGTERM');

    const db: Db = PG ? connectPostgres(PG, { poolSize: 2 }) : await openPglite(path.join(dataDir!, 'pglite'));
    try {
      const ids = [...transfers, ...withdrawals];
      for (const { id, fails } of ids) {
        const [row] = await db.query<{ postings: number; finals: number }>(
          `SELECT (SELECT count(*)::int FROM postings WHERE ref_id = $1) AS postings,
                  (SELECT count(*)::int FROM events WHERE payload->>'id' = $2 AND payload->>'status' IN ('SUCCESSFUL', 'FAILED')) AS finals`,
          [id, id],
        );
        expect(row, id).toEqual({ postings: fails ? 0 : 1, finals: 1 });
      }
      // The kill really came mid-flight: some settlement jobs only finished after the restart.
      const [late] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM jobs WHERE partner_id = $1 AND kind IN ('sepa.transfer.settle', 'crypto.withdrawal.confirm')
           AND finished_at > $2`,
        [partner.id, killedAt],
      );
      console.log(`crash test: ${late.n} settlement jobs finished after the restart`);

      expect(late.n).toBeGreaterThan(0);
      const [holds] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM holds WHERE ref_id = ANY($1::uuid[]) AND status = 'PENDING'`, [ids.map((x) => x.id)],
      );
      expect(holds.n).toBe(0);
      const ok = transfers.filter((t) => !t.fails).length;
      const [eur] = await db.query<{ posted: bigint; pending_debits: bigint }>(
        `SELECT posted, pending_debits FROM accounts WHERE partner_id = $1 AND owner_type = 'partner' AND currency = 'eur'`, [partner.id],
      );
      expect(eur).toEqual({ posted: 10_000_000n - BigInt(ok) * 1100n, pending_debits: 0n });
      expect((await checkInvariant(db)).balanced).toBe(true);
    } finally {
      await db.close();
    }
  }, 180_000);
});
