import { expect } from 'vitest';
import type { TestPartner } from '../support/app.js';
import { fund } from '../support/balances.js';
import { createKycUser, uniqueId } from '../support/users.js';

/** Card test fixtures, all through the API: a funded KYC user with a card, authorizations. */

export const PIN = '4821';

/** A verified KYC user (country PL) with `eur` on its EUR balance (the partner funded by SEPA first). */
export async function cardUser(p: TestPartner, eur = '100.00', externalUserId = uniqueId('card')) {
  await createKycUser(p, externalUserId);
  if (eur !== '0') {
    await fund(p, 'eur', eur);
    const res = await p.call('POST', '/v1/transfer', { destinationExternalUserId: externalUserId, currency: 'eur', amount: eur });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  return externalUserId;
}

export async function createCard(p: TestPartner, externalUserId: string, label = 'Online shopping', pin = PIN) {
  const res = await p.call('POST', '/v1/card/virtual', { externalUserId, label, pin });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { cardId: string; cardNumber: string; cvv: string; exp: string };
}

export const authorize = (p: TestPartner, cardId: string, amount: string, extra: Record<string, unknown> = {}) =>
  p.call('POST', '/v1/sandbox/card/authorizations', {
    cardId, amount, currency: 'eur', channel: 'POS', merchantName: 'Coffee Corner', mcc: '5814', ...extra,
  });

export async function approved(p: TestPartner, cardId: string, amount: string, extra: Record<string, unknown> = {}) {
  const res = await authorize(p, cardId, amount, extra);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.status, JSON.stringify(res.body)).toBe('PENDING');
  return res.body.authorizationId as string;
}

export const step = (p: TestPartner, authorizationId: string, name: 'capture' | 'increment' | 'reversal' | 'refund' | '3ds', body: unknown = {}) =>
  p.call('POST', `/v1/sandbox/card/authorizations/${authorizationId}/${name}`, body);

export async function eurOf(p: TestPartner, externalUserId: string): Promise<string> {
  const res = await p.call('GET', `/v1/user/balances/${externalUserId}`);
  expect(res.status).toBe(200);
  return res.body.fiatBalances[0].amount;
}
