import { expect } from 'vitest';
import type { TestApp, TestPartner } from '../support/app.js';

/** Helpers for user tests: a valid create body, balances by currency, events of a partner. */

let counter = 0;
export const uniqueId = (prefix = 'user') => `${prefix}-${Date.now().toString(36)}-${++counter}`;

export const kycBody = (externalUserId = uniqueId(), extra: Record<string, unknown> = {}) => ({
  externalUserId,
  email: 'maria.wisniewska@example.com',
  phone: '48501234567',
  firstName: 'Maria',
  lastName: 'Wisniewska',
  street: 'ul. Dluga',
  number: '7/12',
  city: 'Krakow',
  postCode: '31-147',
  country: 'PL',
  citizenship: 'PL',
  nationality: 'PL',
  birthCountry: 'PL',
  birthDate: '1988-11-03',
  userIdentificationNumber: '88110312345',
  hasAcceptedP100Tc: true,
  ...extra,
});

export const nonKycBody = (externalUserId = uniqueId(), extra: Record<string, unknown> = {}) => ({
  externalUserId,
  email: 'jan.kowalski@example.com',
  firstName: 'Jan',
  lastName: 'Kowalski',
  address: 'Adama Matuszczaka 51/4',
  city: 'Warszawa',
  country: 'PL',
  documentType: 'ID_CARD',
  documentNumber: 'ABC123456',
  birthCountry: 'PL',
  birthDate: '1990-05-15',
  ...extra,
});

export async function createKycUser(p: TestPartner, externalUserId = uniqueId(), approve = true) {
  const res = await p.call('POST', '/v1/user/balances/crypto-and-fiat', kycBody(externalUserId));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  if (approve) {
    const decided = await p.call('POST', '/v1/sandbox/kyc-decision', { externalUserId, decision: 'APPROVED' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
  }
  return { externalUserId, userId: res.body.userId as string };
}

export const userBalances = async (p: TestPartner, externalUserId?: string) => {
  const res = await p.call('GET', externalUserId ? `/v1/user/balances/${encodeURIComponent(externalUserId)}` : '/v1/partner/balances');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

export const amounts = async (p: TestPartner, externalUserId?: string): Promise<Record<string, string>> => {
  const b = await userBalances(p, externalUserId);
  return Object.fromEntries([...b.fiatBalances, ...b.cryptoBalances].map((x: any) => [x.name, x.amount]));
};

export async function depositEur(p: TestPartner, externalUserId: string | undefined, amount: string) {
  const iban = (await userBalances(p, externalUserId)).fiatBalances[0].iban;
  const res = await p.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

export async function depositCrypto(p: TestPartner, externalUserId: string | undefined, currency: string, amount: string) {
  const wallet = (await userBalances(p, externalUserId)).cryptoBalances.find((b: any) => b.name === currency).wallet;
  const res = await p.call('POST', '/v1/sandbox/crypto-deposit', { address: wallet, currency, amount });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect((await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 3600 })).status).toBe(200);
}

export const expectError = (res: { status: number; body: any }, status: number, code: string) =>
  expect([res.status, res.body?.errorCode], JSON.stringify(res.body)).toEqual([status, code]);

export async function userEvents(t: TestApp, partnerId: string, externalUserId: string) {
  const rows = await t.db.query<{ path: string; payload: any }>(
    `SELECT path, payload FROM events WHERE partner_id = $1 AND type = 'user.status' ORDER BY id`, [partnerId],
  );
  return rows.filter((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).externalUserId === externalUserId)
    .map((r) => ({ path: r.path, ...(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) }));
}
