import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { expectError, fund } from '../support/balances.js';
import { createKycUser } from '../support/users.js';

let t: TestApp;
let partner: TestPartner;
let other: TestPartner;
let userId: string;

beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner('History');
  other = await t.createPartner('Other');
  ({ externalUserId: userId } = await createKycUser(partner));
  await fund(partner, 'eur', '100.00', userId);
  await fund(partner, 'eur', '0.45', userId);
  await fund(partner, 'btc', '0.0025', userId);
  await fund(partner, 'eur', '500.00', undefined);
  const funding = await partner.call('POST', '/v1/transfer', { destinationExternalUserId: userId, currency: 'eur', amount: '12.30' });
  expect(funding.status, JSON.stringify(funding.body)).toBe(200);
  const collection = await partner.call('POST', '/v1/transfer', { sourceExternalUserId: userId, currency: 'eur', amount: '2.05' });
  expect(collection.status, JSON.stringify(collection.body)).toBe(200);
});
afterAll(() => t.close());

const userHistory = (query = '', p = partner, id = userId) => p.call('GET', `/v1/user/transaction-history/${id}${query}`);

describe('user transaction history', () => {
  it('lists every posted movement newest first, signed, with its balance', async () => {
    const res = await userHistory();
    expect(res.status).toBe(200);
    const items = res.body.transactions;
    expect(items.map((x: any) => [x.type, x.currency, x.amount, x.direction])).toEqual([
      ['transfer', 'eur', '-2.05', 'DEBIT'],
      ['transfer', 'eur', '12.30', 'CREDIT'],
      ['crypto_deposit', 'btc', '0.00250000', 'CREDIT'],
      ['sepa_deposit', 'eur', '0.45', 'CREDIT'],
      ['sepa_deposit', 'eur', '100.00', 'CREDIT'],
    ]);
    expect(res.body.nextCursor).toBeNull();
    const balances = (await partner.call('GET', `/v1/user/balances/${userId}`)).body;
    const eurId = balances.fiatBalances[0].id;
    expect(items.filter((x: any) => x.currency === 'eur').every((x: any) => x.balanceId === eurId)).toBe(true);
    for (const item of items) {
      expect(item).toMatchObject({ id: expect.any(String), referenceId: expect.any(String), status: 'COMPLETED' });
      expect(new Date(item.createdAt).toISOString()).toBe(item.createdAt);
    }
    // History and balance agree: the EUR lines sum to the EUR balance.
    const eurSum = items.filter((x: any) => x.currency === 'eur').reduce((s: bigint, x: any) => s + BigInt(x.amount.replace('.', '')), 0n);
    expect(eurSum.toString()).toBe(balances.fiatBalances[0].amount.replace('.', ''));
  });

  it('filters by currency, type and time', async () => {
    const btc = (await userHistory('?currency=BTC')).body.transactions;
    expect(btc.map((x: any) => x.amount)).toEqual(['0.00250000']);
    const sepa = (await userHistory('?type=sepa_deposit')).body.transactions;
    expect(sepa.map((x: any) => x.amount)).toEqual(['0.45', '100.00']);
    expect((await userHistory('?type=exchange')).body.transactions).toEqual([]);
    const all = (await userHistory()).body.transactions;
    const from = encodeURIComponent(all[1].createdAt);
    const since = (await userHistory(`?from=${from}`)).body.transactions;
    expect(since.length).toBeGreaterThanOrEqual(2);
    expect(since.every((x: any) => x.createdAt >= all[1].createdAt)).toBe(true);
    expect((await userHistory('?from=2999-01-01T00:00:00Z')).body.transactions).toEqual([]);
    expect((await userHistory('?to=2000-01-01T00:00:00Z')).body.transactions).toEqual([]);
  });

  it('pages with limit and an opaque cursor, without gaps or repeats', async () => {
    const all = (await userHistory()).body.transactions.map((x: any) => x.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await userHistory(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.transactions.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.transactions.map((x: any) => x.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it('rejects bad queries with P403', async () => {
    for (const query of ['?limit=0', '?limit=101', '?limit=abc', '?currency=xyz', '?cursor=garbage', '?cursor=WyJub3QtYS11dWlkIl0',
      '?type=Not-A-Kind', '?from=yesterday', '?to=2024-13-45', '?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z']) {
      expectError(await userHistory(query), 400, 'P403');
    }
  });

  it("gives P412 for unknown users and for another partner's user", async () => {
    expectError(await userHistory('', partner, 'no-such-user'), 400, 'P412');
    expectError(await userHistory('', other, userId), 400, 'P412');
  });
});

describe('partner transaction history', () => {
  it("lists only the partner's own balances", async () => {
    const res = await partner.call('GET', '/v1/partner/transaction-history?currency=eur');
    expect(res.status).toBe(200);
    expect(res.body.transactions.map((x: any) => [x.type, x.amount])).toEqual([
      ['transfer', '2.05'],
      ['transfer', '-12.30'],
      ['sepa_deposit', '500.00'],
    ]);
    const theirs = await other.call('GET', '/v1/partner/transaction-history');
    expect(theirs.body).toEqual({ transactions: [], nextCursor: null });
  });

  it('rejects bad queries with P403', async () => {
    expectError(await partner.call('GET', '/v1/partner/transaction-history?limit=1000'), 400, 'P403');
    expectError(await partner.call('GET', '/v1/partner/transaction-history?currency=gbp'), 400, 'P403');
  });
});
