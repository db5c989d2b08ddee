import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureHold, checkInvariant, hold, increaseHold, releaseHoldPart, voidHold } from '../../src/ledger/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { attempt, balancesOf, deposit, fixture } from './helpers.js';

/** Partial capture, partial release and increase of a hold (card authorizations use them). */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

async function heldAccount(amount: bigint, funds = 1_000n) {
  const f = await fixture(t, 1);
  const accountId = f.accounts[1];
  await deposit(t.db, f.partnerId, accountId, funds);
  const holdId = await t.db.tx((q) => hold(q, { accountId, amount, kind: 'card_authorization' }));
  return { ...f, accountId, holdId };
}

const holdRow = async (id: string) =>
  (await t.db.query<{ amount: bigint; status: string }>('SELECT amount, status FROM holds WHERE id = $1', [id]))[0];

describe('partial holds', () => {
  it.each([
    ['full capture', 400n, 400n],
    ['partial capture releases the rest', 400n, 150n],
  ])('%s', async (_name, held, captured) => {
    const f = await heldAccount(held);
    const postingId = await t.db.tx((q) => captureHold(q, f.holdId, {
      partnerId: f.partnerId, kind: 'card_transaction', accountId: f.accountId, amount: captured, to: { house: 'cards' }, currency: 'eur',
    }));
    expect(postingId).toBeTruthy();
    expect((await balancesOf(t.db, [f.accountId])).get(f.accountId)).toEqual({ posted: 1_000n - captured, pending: 0n });
    expect((await holdRow(f.holdId)).status).toBe('POSTED');
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('a capture above the held amount throws and moves nothing', async () => {
    const f = await heldAccount(100n);
    await expect(t.db.tx((q) => captureHold(q, f.holdId, {
      partnerId: f.partnerId, kind: 'card_transaction', accountId: f.accountId, amount: 101n, to: { house: 'cards' }, currency: 'eur',
    }))).rejects.toThrow(/exceeds the held amount/);
    expect((await balancesOf(t.db, [f.accountId])).get(f.accountId)).toEqual({ posted: 1_000n, pending: 100n });
  });

  it('partial release keeps the rest held; a release of all or more is refused', async () => {
    const f = await heldAccount(300n);
    expect(await t.db.tx((q) => releaseHoldPart(q, f.holdId, 100n))).toBe(true);
    expect(await holdRow(f.holdId)).toEqual({ amount: 200n, status: 'PENDING' });
    expect((await balancesOf(t.db, [f.accountId])).get(f.accountId)).toEqual({ posted: 1_000n, pending: 200n });
    expect(await t.db.tx((q) => releaseHoldPart(q, f.holdId, 200n))).toBe(false);
    expect(await t.db.tx((q) => voidHold(q, f.holdId))).toBe(true);
    expect(await t.db.tx((q) => releaseHoldPart(q, f.holdId, 10n))).toBe(false);
    expect((await balancesOf(t.db, [f.accountId])).get(f.accountId)).toEqual({ posted: 1_000n, pending: 0n });
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('increase takes more of the available balance, P433 when short, nothing when resolved', async () => {
    const f = await heldAccount(600n);
    expect(await t.db.tx((q) => increaseHold(q, f.holdId, 300n))).toBe(true);
    expect(await attempt(t.db, (q) => increaseHold(q, f.holdId, 101n))).toBe('P433');
    expect(await holdRow(f.holdId)).toEqual({ amount: 900n, status: 'PENDING' });
    expect((await balancesOf(t.db, [f.accountId])).get(f.accountId)).toEqual({ posted: 1_000n, pending: 900n });
    await t.db.tx((q) => voidHold(q, f.holdId));
    expect(await t.db.tx((q) => increaseHold(q, f.holdId, 1n))).toBe(false);
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('captures and voids racing on one hold resolve it once', async () => {
    const f = await heldAccount(500n);
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => t.db.tx<string | boolean | null>((q) => (i % 2
      ? voidHold(q, f.holdId)
      : captureHold(q, f.holdId, {
        partnerId: f.partnerId, kind: 'card_transaction', accountId: f.accountId, amount: 200n, to: { house: 'cards' }, currency: 'eur',
      })))));
    expect(results.filter((r) => r !== null && r !== false).length).toBe(1);
    const after = (await balancesOf(t.db, [f.accountId])).get(f.accountId)!;
    expect(after.pending).toBe(0n);
    expect([800n, 1_000n]).toContain(after.posted);
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });
});
