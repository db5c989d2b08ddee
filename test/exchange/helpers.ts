import { expect } from 'vitest';
import type { TestPartner } from '../support/app.js';

/** Test helpers for exchange, transfers and orders: funding through the sandbox, amounts by currency. */

export { advance, amounts, balances, expectError, fund } from '../support/balances.js';

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
