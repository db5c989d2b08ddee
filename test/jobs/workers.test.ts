import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { advanceClock } from '../../src/kernel/clock.js';
import { checkInvariant } from '../../src/ledger/index.js';
import { FAILING_IBAN } from '../../src/rails/sepa/simulator.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { baseEnv, kill, spawnCentum, type Child } from './process.js';
import { isolatedDatabase } from '../support/database.js';

/**
 * Two `centum worker` processes on one PostgreSQL settle 500 SEPA transfers: each settles exactly
 * once (one posting, one final event, one job run). PGlite is one process's embedded database, so
 * this test needs DATABASE_URL.
 */
const own = await isolatedDatabase('centum_jobs_workers');
const PG = own?.url;
const N = 500;
const children: Child[] = [];
let t: TestApp | undefined;
afterAll(async () => {
  for (const child of children) await kill(child, 'SIGKILL');
  await t?.close();
  await own?.drop();
});

describe.skipIf(!PG)('two worker processes on one PostgreSQL (skipped without DATABASE_URL: PGlite lives inside one process)', () => {
  it(`settle ${N} transfers with no double settlement`, async () => {
    t = await startTestApp({ DATABASE_URL: PG! });
    const partner = await t.createPartner('Workers');
    const iban = (await partner.call('GET', '/v1/partner/balances')).body.fiatBalances[0].iban;
    expect((await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '100000' })).status).toBe(201);
    const ids: { id: string; fails: boolean }[] = [];
    for (let batch = 0; batch < N / 25; batch++) {
      const created = await Promise.all(Array.from({ length: 25 }, async (_, i) => {
        const fails = (batch * 25 + i) % 10 === 0;
        const res = await partner.call('POST', '/v1/partner/sepa-transfer', {
          amount: '10.00', currency: 'eur', destinationIban: fails ? FAILING_IBAN : 'DE89370400440532013000', transferTitle: `w${batch}.${i}`,
        });
        expect(res.status).toBe(200);
        return { id: res.body.transferId as string, fails };
      }));
      ids.push(...created);
    }
    // The transfers fall due together; only the two worker processes run them.
    await advanceClock(t.db, partner.id, 3600_000);
    for (let i = 0; i < 2; i++) children.push(spawnCentum(['src/cli.ts', 'worker'], baseEnv({ DATABASE_URL: PG! })));

    const pending = async () => (await t!.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sepa_transfers WHERE partner_id = $1 AND status = 'PENDING'`, [partner.id],
    ))[0].n;
    for (let i = 0; i < 1200 && (await pending()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await pending(), children.map((c) => c.output()).join('\n')).toBe(0);
    for (const child of children) await kill(child, 'SIGTERM');

    const rows = await t.db.query<{ id: string; status: string; postings: number; finals: number }>(
      `SELECT s.id, s.status,
         (SELECT count(*)::int FROM postings p WHERE p.ref_id = s.id) AS postings,
         (SELECT count(*)::int FROM events e WHERE e.partner_id = s.partner_id AND e.type = 'partner_sepa_transfer.status' AND e.payload->>'id' = s.id::text) AS finals
       FROM sepa_transfers s WHERE s.partner_id = $1`,
      [partner.id],
    );
    expect(rows).toHaveLength(N);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const { id, fails } of ids) {
      expect(byId.get(id), id).toMatchObject({ status: fails ? 'FAILED' : 'SUCCESSFUL', postings: fails ? 0 : 1, finals: 1 });
    }
    const [jobs] = await t.db.query<{ n: number; runs: number; workers: string[] }>(
      `SELECT count(*)::int AS n, sum(attempts)::int AS runs, array_agg(DISTINCT finished_by) AS workers
       FROM jobs WHERE partner_id = $1 AND kind = 'sepa.transfer.settle' AND status = 'DONE'`,
      [partner.id],
    );
    // Every job ran once, and both processes took a share (a server of another test file on the
    // same database may have taken some too: its worker serves every partner).
    expect([jobs.n, jobs.runs]).toEqual([N, N]);
    for (const child of children) expect(jobs.workers).toContain(`${hostname()}:${child.proc.pid}`);
    const ok = ids.filter((x) => !x.fails).length;
    const [eur] = await t.db.query<{ posted: bigint; pending_debits: bigint }>(
      `SELECT posted, pending_debits FROM accounts WHERE partner_id = $1 AND owner_type = 'partner' AND currency = 'eur'`, [partner.id],
    );
    expect(eur).toEqual({ posted: 10_000_000n - BigInt(ok) * 1100n, pending_debits: 0n });
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  }, 300_000);
});
