import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { expectError, fund } from '../support/balances.js';
import { approved, cardUser, createCard } from './helpers.js';

/**
 * Another partner can neither see, change nor use a card: with the owner's externalUserId it meets
 * P412 (no such user of its own), with its own user and the other partner's card P434, and on the
 * card network P434 / P665. Nothing of the card changes.
 */

let t: TestApp;
let owner: TestPartner;
let other: TestPartner;
let user: string;
let cardId: string;
let authorizationId: string;
let otherUser: string;
beforeAll(async () => {
  t = await startTestApp();
  owner = await t.createPartner('Owner');
  other = await t.createPartner('Other');
  await fund(owner, 'eur', '100.00');
  await fund(other, 'eur', '100.00');
  user = await cardUser(owner, '50.00');
  cardId = (await createCard(owner, user)).cardId;
  authorizationId = await approved(owner, cardId, '10.00');
  otherUser = await cardUser(other, '0', user); // the same externalUserId at the other partner
  await createCard(other, otherUser);
});
afterAll(() => t.close());

const cases: [string, string, (u: string) => unknown][] = [
  ['GET', '/v1/card/details/{u}/{c}', () => undefined],
  ['GET', '/v1/card/limits/{u}/{c}', () => undefined],
  ['GET', '/v1/card/reveals/{u}/{c}', () => undefined],
  ['PATCH', '/v1/card/pin', (u) => ({ externalUserId: u, cardId, pin: '0000' })],
  ['PATCH', '/v1/card/block', (u) => ({ externalUserId: u, cardId })],
  ['PATCH', '/v1/card/unblock', (u) => ({ externalUserId: u, cardId })],
  ['PATCH', '/v1/card/limits', (u) => ({ externalUserId: u, cardId, dailyTrxAll: 1 })],
  ['DELETE', '/v1/card', (u) => ({ externalUserId: u, cardId })],
  ['POST', '/v1/sandbox/card/activation-code', (u) => ({ externalUserId: u, cardId })],
];

describe('another partner and the card', () => {
  it.each(cases)('%s %s: P434 for its own user with this card', async (method, path, body) => {
    const res = await other.call(method, path.replace('{u}', otherUser).replace('{c}', cardId), body(otherUser));
    expectError(res, 400, 'P434');
  });

  it.each(cases)('%s %s: P412 for a user it does not have', async (method, path, body) => {
    const lonely = 'only-at-owner';
    const res = await other.call(method, path.replace('{u}', lonely).replace('{c}', cardId), body(lonely));
    expectError(res, 400, 'P412');
  });

  it('list: P412 for a user it does not have', async () => {
    expectError(await other.call('GET', '/v1/card/all/only-at-owner'), 400, 'P412');
  });

  it('list shows only its own user\'s cards; the card network refuses the card (P434) and the authorization (P665)', async () => {
    const mine = (await other.call('GET', `/v1/card/all/${otherUser}`)).body.cards;
    expect(mine.map((c: any) => c.cardId)).not.toContain(cardId);
    expectError(await other.call('POST', '/v1/sandbox/card/authorizations', {
      cardId, amount: '1.00', currency: 'eur', channel: 'POS', merchantName: 'Thief', mcc: '5999',
    }), 400, 'P434');
    for (const name of ['capture', 'reversal', 'refund', 'increment', '3ds']) {
      const body = name === '3ds' ? { code: '123456' } : name === 'increment' ? { amount: '1.00' } : {};
      expectError(await other.call('POST', `/v1/sandbox/card/authorizations/${authorizationId}/${name}`, body), 404, 'P665');
    }
  });

  it('the card is as it was: active, same limits, PIN, hold, no reveal by the other partner', async () => {
    const card = await owner.call('GET', `/v1/card/all/${user}`);
    expect(card.body.cards[0].status).toBe('ACTIVE');
    expect((await owner.call('GET', `/v1/card/limits/${user}/${cardId}`)).body.dailyTrxAll).toBe(1000);
    const reveals = (await owner.call('GET', `/v1/card/reveals/${user}/${cardId}`)).body.reveals;
    expect(reveals.map((r: any) => r.reason)).toEqual(['CREATE']);
    const [row] = await t.db.query<{ status: string }>('SELECT status FROM card_authorizations WHERE id = $1', [authorizationId]);
    expect(row.status).toBe('PENDING');
    await approved(owner, cardId, '1.00', { channel: 'ATM', pin: '4821' });
  });
});
