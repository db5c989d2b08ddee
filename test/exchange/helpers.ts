import { expect } from 'vitest';
import type { TestPartner } from '../support/app.js';

/** Test helpers for exchange, transfers and orders: funding through the sandbox, amounts by currency. */

export const balances = async (p: TestPartner, externalUserId?: string) => {
  const res = await p.call('GET', externalUserId ? `/v1/user/balances/${encodeURIComponent(externalUserId)}` : '/v1/partner/balances');
  expect(res.status).toBe(200);
  return res.body;
};

/** Amount (decimal string) by currency: what must not change when a request fails. */
export const amounts = async (p: TestPartner, externalUserId?: string): Promise<Record<string, string>> => {
  const b = await balances(p, externalUserId);
  return Object.fromEntries([...b.fiatBalances, ...b.cryptoBalances].map((x: any) => [x.name, x.amount]));
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
  const advanced = await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 3600 });
  expect(advanced.status).toBe(200);
}

export const advance = async (p: TestPartner, seconds: number) => {
  const res = await p.call('POST', '/v1/sandbox/clock/advance', { seconds });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

export const expectError = (res: { status: number; body: any }, status: number, code: string) =>
  expect([res.status, res.body?.errorCode], JSON.stringify(res.body)).toEqual([status, code]);

/** Creates a user: 'NON_KYC' (EUR active, no IBAN) or 'KYC' (EUR waiting for the KYC decision). */
export async function createUser(p: TestPartner, externalUserId: string, model: 'NON_KYC' | 'KYC' = 'NON_KYC') {
  const path = model === 'KYC' ? '/v1/user/balances/crypto-and-fiat' : '/v1/user/balances/crypto';
  const res = await p.call('POST', path, {
    externalUserId, email: `${externalUserId}@example.com`, firstName: 'Ada', lastName: 'Lovelace', country: 'PL',
  });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body;
}

export async function approveKyc(p: TestPartner, externalUserId: string) {
  const res = await p.call('POST', '/v1/sandbox/kyc-decision', { externalUserId, decision: 'APPROVED' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}
