import { expect } from 'vitest';
import type { TestApp, TestPartner } from './app.js';

/**
 * Users, always created and decided through the API: create bodies, a KYC or non-KYC user, the
 * sandbox KYC decision, and a user's status events.
 */

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

/** Creates a user with a short profile: 'NON_KYC' (EUR active, no IBAN) or 'KYC' (EUR waiting for the KYC decision). */
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

/**
 * A KYC user approved through the API, so its EUR balance is active with an IBAN (the rails'
 * tests): `profile` overrides the create body (the name a SEPA sender must match, say).
 */
export async function createApprovedUser(p: TestPartner, profile: Record<string, string> = {}) {
  const externalUserId = uniqueId('ext');
  const res = await p.call('POST', '/v1/user/balances/crypto-and-fiat', kycBody(externalUserId, { lastName: 'Wiśniewska', ...profile }));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  await approveKyc(p, externalUserId);
  return { id: res.body.userId as string, externalUserId };
}

export async function userEvents(t: TestApp, partnerId: string, externalUserId: string) {
  const rows = await t.db.query<{ path: string; payload: any }>(
    `SELECT path, payload FROM events WHERE partner_id = $1 AND type = 'user.status' ORDER BY id`, [partnerId],
  );
  return rows.filter((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).externalUserId === externalUserId)
    .map((r) => ({ path: r.path, ...(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) }));
}
