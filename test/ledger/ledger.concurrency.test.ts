import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariant, setAccountStatus } from '../../src/ledger/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { balancesOf, deposit, fixture, release, reserve, settle, transfer } from './helpers.js';

/**
 * Racing ledger operations. On PostgreSQL they really run at once (the pool has 30 connections);
 * on PGlite (one connection) the same code runs one transaction after another.
 */

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('ledger under concurrency', () => {
  it('64 concurrent debits on one account never overdraw and leave the exact balance', async () => {
    const f = await fixture(t, 1);
    const [partnerAccount, userAccount] = f.accounts;
    await deposit(t.db, f.partnerId, userAccount, 4_000n);
    const before = await balancesOf(t.db, [partnerAccount]);
    const results = await Promise.all(Array.from({ length: 64 }, () => transfer(t.db, f.partnerId, userAccount, partnerAccount, 100n)));
    expect(results.filter((r) => r !== 'P433').length).toBe(40);
    expect(results.filter((r) => r === 'P433').length).toBe(24);
    const after = await balancesOf(t.db, [partnerAccount, userAccount]);
    expect(after.get(userAccount)).toEqual({ posted: 0n, pending: 0n });
    expect(after.get(partnerAccount)!.posted - before.get(partnerAccount)!.posted).toBe(4_000n);
  }, 120_000);

  it('refuses a credit that waited for a balance being closed (user deletion) and moves nothing', async () => {
    const f = await fixture(t, 1);
    const [partnerAccount, userAccount] = f.accounts;
    await deposit(t.db, f.partnerId, partnerAccount, 1_000n);
    const before = await balancesOf(t.db, [partnerAccount, userAccount]);
    let closeNow!: () => void;
    const gate = new Promise<void>((resolve) => (closeNow = resolve));
    let lockTaken!: () => void;
    const locked = new Promise<void>((resolve) => (lockTaken = resolve));
    // As a deletion does: the balance is locked (its sweep), then closed, in one transaction.
    const closing = t.db.tx(async (q) => {
      await q.query('SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE', [userAccount]);
      lockTaken();
      await gate;
      await setAccountStatus(q, userAccount, 'CLOSED');
    });
    // The credit starts once the balance is locked (on a loaded machine it could otherwise commit
    // before the lock is taken), and is given a moment to reach its wait for it.
    await locked;
    const credit = transfer(t.db, f.partnerId, partnerAccount, userAccount, 100n);
    credit.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    await new Promise((resolve) => setTimeout(resolve, 50));
    closeNow();
    await closing;
    await expect(credit).rejects.toMatchObject({ code: 'P610' });
    expect(await balancesOf(t.db, [partnerAccount, userAccount])).toEqual(before);
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('64 concurrent holds on one account reserve at most what is available', async () => {
    const f = await fixture(t, 1);
    const account = f.accounts[1];
    await deposit(t.db, f.partnerId, account, 1_000n);
    const holds = await Promise.all(Array.from({ length: 64 }, () => reserve(t.db, account, 30n)));
    const granted = holds.filter((h): h is string => h !== 'P433');
    expect(granted.length).toBe(33);
    // Each hold resolves exactly once, even when a post and a void race for it.
    const outcomes = await Promise.all(granted.flatMap((id) => [settle(t.db, f.partnerId, id, account, 30n), release(t.db, id)]));
    const posted = outcomes.filter((o, i) => i % 2 === 0 && o !== null).length;
    const voided = outcomes.filter((o, i) => i % 2 === 1 && o === true).length;
    expect(posted + voided).toBe(33);
    const after = await balancesOf(t.db, [account]);
    expect(after.get(account)).toEqual({ posted: 1_000n - 30n * BigInt(posted), pending: 0n });
  }, 120_000);

  it('1,000 mixed concurrent operations keep the invariant and conserve money', async () => {
    const f = await fixture(t, 4);
    const ids = f.accounts;
    for (const id of ids) await deposit(t.db, f.partnerId, id, 10_000n);
    const start = await balancesOf(t.db, ids);
    const startTotal = ids.reduce((s, id) => s + start.get(id)!.posted, 0n);
    let inflow = 0n;
    let outflow = 0n;
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const operation = async (): Promise<void> => {
      const a = ids[rand(ids.length)];
      const b = ids[rand(ids.length)];
      const amount = BigInt(1 + rand(900));
      switch (rand(4)) {
        case 0:
          await deposit(t.db, f.partnerId, a, amount);
          inflow += amount;
          return;
        case 1:
          if (a !== b) await transfer(t.db, f.partnerId, a, b, amount);
          return;
        case 2: {
          const held = await reserve(t.db, a, amount);
          if (held === 'P433') return;
          if (rand(2)) {
            if (await settle(t.db, f.partnerId, held, a, amount)) outflow += amount;
          } else {
            await release(t.db, held);
          }
          return;
        }
        default: {
          const held = await reserve(t.db, a, amount);
          if (held !== 'P433' && a !== b && (await settle(t.db, f.partnerId, held, a, amount, b)) === null) throw new Error('hold resolved twice');
        }
      }
    };
    await Promise.all(Array.from({ length: 1_000 }, operation));
    const end = await balancesOf(t.db, ids);
    for (const id of ids) {
      expect(end.get(id)!.posted - end.get(id)!.pending >= 0n).toBe(true);
      expect(end.get(id)!.pending).toBe(0n);
    }
    expect(ids.reduce((s, id) => s + end.get(id)!.posted, 0n)).toBe(startTotal + inflow - outflow);
    expect(await checkInvariant(t.db)).toEqual({ balanced: true, unbalancedCurrencies: [], driftedAccounts: [], pendingMismatches: [] });
  }, 300_000);
});
