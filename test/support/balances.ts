import { expect } from 'vitest';
import type { TestPartner } from './app.js';

/** Helpers every area's tests share: balances, funding through the sandbox rails, errors. */

/** Get Balances of the partner, or of one of its users. */
export const balances = async (p: TestPartner, externalUserId?: string) => {
  const res = await p.call('GET', externalUserId ? `/v1/user/balances/${encodeURIComponent(externalUserId)}` : '/v1/partner/balances');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

/** Amount (decimal string) by currency: what must not change when a request fails (rates may move). */
export const amounts = async (p: TestPartner, externalUserId?: string): Promise<Record<string, string>> => {
  const b = await balances(p, externalUserId);
  return Object.fromEntries([...b.fiatBalances, ...b.cryptoBalances].map((x: any) => [x.name, x.amount]));
};

/** Moves the partner's sandbox clock and runs what falls due. */
export const advance = async (p: TestPartner, seconds: number) => {
  const res = await p.call('POST', '/v1/sandbox/clock/advance', { seconds });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

/** Credits `amount` of `currency` to the partner (or a user) through the sandbox rails. */
export async function fund(p: TestPartner, currency: string, amount: string, externalUserId?: string): Promise<void> {
  const b = await balances(p, externalUserId);
  if (currency === 'eur') {
    const res = await p.call('POST', '/v1/sandbox/sepa-deposit', { iban: b.fiatBalances[0].iban, amount });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return;
  }
  const wallet = b.cryptoBalances.find((x: any) => x.name === currency).wallet;
  const res = await p.call('POST', '/v1/sandbox/crypto-deposit', { address: wallet, currency, amount });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await advance(p, 3600); // crypto deposits are credited once confirmed
}

export const expectError = (res: { status: number; body: any }, status: number, code: string) =>
  expect([res.status, res.body?.errorCode], JSON.stringify(res.body)).toEqual([status, code]);
