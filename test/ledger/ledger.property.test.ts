import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { balancesOf, deposit, fixture, release, reserve, settle, transfer, type Fixture } from './helpers.js';

/**
 * Model-based property test of the ledger: random sequences of posts, holds, hold postings and
 * voids against a real database, compared after every step with a plain in-memory model.
 */

let t: TestApp;
let f: Fixture;

beforeAll(async () => {
  t = await startTestApp();
  f = await fixture(t, 3);
});
afterAll(() => t.close());

type Op =
  | { kind: 'deposit'; to: number; amount: bigint }
  | { kind: 'transfer'; from: number; to: number; amount: bigint }
  | { kind: 'hold'; on: number; amount: bigint }
  | { kind: 'post'; hold: number; percent: number; to: number | null }
  | { kind: 'void'; hold: number };

const amount = fc.bigInt({ min: 1n, max: 5_000n });
const account = fc.integer({ min: 0, max: 3 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), to: account, amount }),
  fc.record({ kind: fc.constant('transfer' as const), from: account, to: account, amount }).filter((o) => o.from !== o.to),
  fc.record({ kind: fc.constant('hold' as const), on: account, amount }),
  fc.record({ kind: fc.constant('post' as const), hold: fc.nat(), percent: fc.integer({ min: 1, max: 100 }), to: fc.option(account, { nil: null }) }),
  fc.record({ kind: fc.constant('void' as const), hold: fc.nat() }),
);

interface ModelHold { id: string; account: number; amount: bigint; resolved: boolean }

describe('ledger (model-based)', () => {
  it('matches the model after every step, never overdraws and resolves each hold once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const ids = f.accounts;
        const start = await balancesOf(t.db, ids);
        const posted = ids.map((id) => start.get(id)!.posted);
        const pending = ids.map((id) => start.get(id)!.pending);
        const holds: ModelHold[] = [];
        const available = (i: number) => posted[i] - pending[i];

        for (const o of ops) {
          if (o.kind === 'deposit') {
            await deposit(t.db, f.partnerId, ids[o.to], o.amount);
            posted[o.to] += o.amount;
          } else if (o.kind === 'transfer') {
            const result = await transfer(t.db, f.partnerId, ids[o.from], ids[o.to], o.amount);
            if (available(o.from) >= o.amount) {
              expect(result).not.toBe('P433');
              posted[o.from] -= o.amount;
              posted[o.to] += o.amount;
            } else {
              expect(result).toBe('P433');
            }
          } else if (o.kind === 'hold') {
            const result = await reserve(t.db, ids[o.on], o.amount);
            if (available(o.on) >= o.amount) {
              expect(result).not.toBe('P433');
              holds.push({ id: result as string, account: o.on, amount: o.amount, resolved: false });
              pending[o.on] += o.amount;
            } else {
              expect(result).toBe('P433');
            }
          } else if (holds.length) {
            const h = holds[o.hold % holds.length];
            if (o.kind === 'void') {
              expect(await release(t.db, h.id)).toBe(!h.resolved);
              if (!h.resolved) pending[h.account] -= h.amount;
            } else {
              const debit = (h.amount * BigInt(o.percent) + 99n) / 100n;
              const to = o.to === null || o.to === h.account ? null : o.to;
              const result = await settle(t.db, f.partnerId, h.id, ids[h.account], debit, to === null ? undefined : ids[to]);
              if (h.resolved) {
                expect(result).toBeNull();
              } else {
                expect(result).toEqual(expect.any(String));
                pending[h.account] -= h.amount;
                posted[h.account] -= debit;
                if (to !== null) posted[to] += debit;
              }
            }
            h.resolved = true;
          }
          const now = await balancesOf(t.db, ids);
          expect(ids.map((id) => [now.get(id)!.posted, now.get(id)!.pending])).toEqual(ids.map((_, i) => [posted[i], pending[i]]));
          for (let i = 0; i < ids.length; i++) expect(available(i) >= 0n).toBe(true);
        }
        // Leave no pending holds behind for the next run's model.
        for (const h of holds) if (!h.resolved) await release(t.db, h.id);
      }),
      { numRuns: 25 },
    );
    const report = await checkInvariant(t.db);
    expect(report).toEqual({ balanced: true, unbalancedCurrencies: [], driftedAccounts: [], pendingMismatches: [] });
  }, 300_000);
});
