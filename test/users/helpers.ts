import { expect } from 'vitest';
import type { TestApp, TestPartner } from '../support/app.js';
import { fund } from '../support/balances.js';

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

export { amounts, balances as userBalances, expectError } from '../support/balances.js';

export const depositEur = (p: TestPartner, externalUserId: string | undefined, amount: string) => fund(p, 'eur', amount, externalUserId);

export const depositCrypto = (p: TestPartner, externalUserId: string | undefined, currency: string, amount: string) =>
  fund(p, currency, amount, externalUserId);

export async function userEvents(t: TestApp, partnerId: string, externalUserId: string) {
  const rows = await t.db.query<{ path: string; payload: any }>(
    `SELECT path, payload FROM events WHERE partner_id = $1 AND type = 'user.status' ORDER BY id`, [partnerId],
  );
  return rows.filter((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).externalUserId === externalUserId)
    .map((r) => ({ path: r.path, ...(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) }));
}
