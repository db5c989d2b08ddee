import { png, upload } from '../kyc/support.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLuhnValid } from '../../src/modules/cards/card-data.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { advance, expectError, fund } from '../support/balances.js';
import { createKycUser, createUser, kycBody, uniqueId } from '../support/users.js';
import { approved, authorize, cardUser, createCard, PIN } from './helpers.js';

/** The nine card endpoints (and the reveal log): shapes, eligibility, caps, states, limits. */

let t: TestApp;
let p: TestPartner;
beforeAll(async () => {
  t = await startTestApp();
  p = await t.createPartner('Cards');
  await fund(p, 'eur', '1000.00');
});
afterAll(() => t.close());

describe('create, list, details, reveals', () => {
  it('issues a Luhn-valid card in the BIN range, shows it once more in details, and records both reveals', async () => {
    const user = await cardUser(p, '0');
    const res = await p.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'Online shopping', pin: PIN });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const card = res.body;
    expect(Object.keys(card).sort()).toEqual(['cardId', 'cardNumber', 'cvv', 'exp']);
    expect(card.cardNumber).toMatch(/^535456\d{10}$/);
    expect(isLuhnValid(card.cardNumber)).toBe(true);
    expect(card.cvv).toMatch(/^\d{3}$/);
    expect(card.exp).toMatch(/^(0[1-9]|1[0-2])\/\d{2}$/);

    const list = await p.call('GET', `/v1/card/all/${user}`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ cards: [{ cardId: card.cardId, status: 'ACTIVE', label: 'Online shopping', cardLastDigits: card.cardNumber.slice(-4) }] });

    const details = await p.call('GET', `/v1/card/details/${user}/${card.cardId}`);
    expect(details.status).toBe(200);
    expect(details.headers.get('cache-control')).toBe('no-store');
    expect(details.body).toEqual({ status: 'ACTIVE', cardNumber: card.cardNumber, cvv: card.cvv, exp: card.exp });

    const reveals = await p.call('GET', `/v1/card/reveals/${user}/${card.cardId}`);
    expect(reveals.status).toBe(200);
    expect(reveals.body.reveals.map((r: any) => r.reason)).toEqual(['DETAILS', 'CREATE']);
    expect(reveals.body.reveals[0].requestId).toBeTruthy();
  });

  it.each([
    ['label too short', { label: 'ab' }],
    ['label too long', { label: 'x'.repeat(31) }],
    ['pin of 3 digits', { pin: '123' }],
    ['pin of 5 digits', { pin: '12345' }],
    ['pin not digits', { pin: '12a4' }],
    ['pin as a number', { pin: 1234 }],
    ['unknown field', { color: 'red' }],
  ])('refuses %s with P403', async (_name, change) => {
    const user = await cardUser(p, '0');
    const res = await p.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'Travel', pin: PIN, ...change });
    expectError(res, 400, 'P403');
  });
});

describe('eligibility, in order', () => {
  it('unknown user P412, non-KYC model P614, KYC not decided P459, rejected P459', async () => {
    expectError(await p.call('POST', '/v1/card/virtual', { externalUserId: 'nobody', label: 'Travel', pin: PIN }), 400, 'P412');
    const nonKyc = uniqueId('nk');
    await createUser(p, nonKyc, 'NON_KYC');
    expectError(await p.call('POST', '/v1/card/virtual', { externalUserId: nonKyc, label: 'Travel', pin: PIN }), 400, 'P614');
    const waiting = (await createKycUser(p, uniqueId('w'), false)).externalUserId;
    expectError(await p.call('POST', '/v1/card/virtual', { externalUserId: waiting, label: 'Travel', pin: PIN }), 400, 'P459');
    const rejected = (await createKycUser(p, uniqueId('r'), false)).externalUserId;
    await p.call('POST', '/v1/sandbox/kyc-decision', { externalUserId: rejected, decision: 'REJECTED' });
    expectError(await p.call('POST', '/v1/card/virtual', { externalUserId: rejected, label: 'Travel', pin: PIN }), 400, 'P459');
  });

  it('suspended P455, deleted P610, country outside the card countries P451', async () => {
    const suspended = await cardUser(p, '0');
    expect((await p.call('PATCH', `/v1/user/suspend/${suspended}`)).status).toBe(200);
    expectError(await p.call('POST', '/v1/card/virtual', { externalUserId: suspended, label: 'Travel', pin: PIN }), 400, 'P455');
    const deleted = await cardUser(p, '0');
    expect((await p.call('DELETE', `/v1/user/${deleted}`)).status).toBe(200);
    expectError(await p.call('POST', '/v1/card/virtual', { externalUserId: deleted, label: 'Travel', pin: PIN }), 400, 'P610');
    const abroad = uniqueId('us');
    expect((await p.call('POST', '/v1/user/balances/crypto-and-fiat', kycBody(abroad, { country: 'US', citizenship: 'US', nationality: 'US' }))).status).toBe(200);
    await p.call('POST', '/v1/sandbox/kyc-decision', { externalUserId: abroad, decision: 'APPROVED' });
    const res = await p.call('POST', '/v1/card/virtual', { externalUserId: abroad, label: 'Travel', pin: PIN });
    expectError(res, 400, 'P451');
    expect(res.body.errorName).toBe('forbidden-country-card');
  });

  it('P461 while a required proof of address (CENTUM_POA_FOR_EXTENDED=always) is not approved; a card once it is', async () => {
    const strict = await startTestApp({ CENTUM_POA_FOR_EXTENDED: 'always' });
    try {
      const sp = await strict.createPartner('Strict');
      const user = (await createKycUser(sp, uniqueId('poa'))).externalUserId;
      expectError(await sp.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'Travel', pin: PIN }), 400, 'P461');
      expectError(await sp.call('GET', `/v1/card/all/${user}`), 400, 'P461');
      const uploaded = await upload(strict, sp, `/v1/user/poa-files/${user}`, [{ name: 'files', data: png(), filename: 'bill.png', type: 'image/png' }]);
      expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
      expectError(await sp.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'Travel', pin: PIN }), 400, 'P461');
      const approved = await sp.call('POST', '/v1/sandbox/poa/decision', { externalUserId: user, status: 'APPROVED' });
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
      const card = await sp.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'Travel', pin: PIN });
      expect(card.status, JSON.stringify(card.body)).toBe(200);
    } finally {
      await strict.close();
    }
  });
});

describe('creation caps', () => {
  it('the eleventh card is refused (P660); with one deleted, 10 per 30 days applies (P662), then the window passes', async () => {
    const q = await t.createPartner('Caps');
    await fund(q, 'eur', '100.00');
    const user = await cardUser(q, '0');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createCard(q, user, `Card ${i + 1}`)).cardId);
    await advance(q, 86_400 + 1);
    for (let i = 5; i < 10; i++) ids.push((await createCard(q, user, `Card ${i + 1}`)).cardId);
    expectError(await q.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'Eleventh', pin: PIN }), 400, 'P660');
    await q.call('PATCH', '/v1/card/block', { externalUserId: user, cardId: ids[0] });
    expectError(await q.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'Eleventh', pin: PIN }), 400, 'P660');
    expect((await q.call('DELETE', '/v1/card', { externalUserId: user, cardId: ids[0] })).status).toBe(200);
    await advance(q, 86_400 + 1);
    expectError(await q.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'Eleventh', pin: PIN }), 400, 'P662');
    await advance(q, 29 * 86_400);
    await createCard(q, user, 'Eleventh');
  }, 120_000);

  it('the sixth creation in 24 hours is refused (P661) and allowed again after the window on the sandbox clock', async () => {
    const q = await t.createPartner('Daily cap');
    await fund(q, 'eur', '100.00');
    const user = await cardUser(q, '0');
    for (let i = 0; i < 5; i++) await createCard(q, user, `Card ${i + 1}`);
    expectError(await q.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'Sixth', pin: PIN }), 400, 'P661');
    await advance(q, 86_400 - 60);
    expectError(await q.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'Sixth', pin: PIN }), 400, 'P661');
    await advance(q, 61);
    await createCard(q, user, 'Sixth');
  }, 60_000);

  it('20 creations in 12 months at most (P663), deleted cards counting', async () => {
    const q = await t.createPartner('Yearly cap');
    await fund(q, 'eur', '100.00');
    const user = await cardUser(q, '0');
    let made = 0;
    for (let month = 0; month < 2; month++) {
      for (let day = 0; day < 2; day++) {
        for (let i = 0; i < 5; i++) {
          const { cardId } = await createCard(q, user, `Card ${++made}`);
          expect((await q.call('DELETE', '/v1/card', { externalUserId: user, cardId })).status).toBe(200);
        }
        await advance(q, 86_400 + 1);
      }
      await advance(q, 30 * 86_400);
    }
    expect(made).toBe(20);
    expectError(await q.call('POST', '/v1/card/virtual', { externalUserId: user, label: 'One more', pin: PIN }), 400, 'P663');
    await advance(q, 320 * 86_400);
    await createCard(q, user, 'Next year');
  }, 180_000);
});

describe('states', () => {
  it('block -> LOCKED_BY_USER declines; unblock -> ACTIVE approves; both repeat harmlessly', async () => {
    const user = await cardUser(p, '50.00');
    const { cardId } = await createCard(p, user);
    const block = await p.call('PATCH', '/v1/card/block', { externalUserId: user, cardId });
    expect([block.status, block.body]).toEqual([200, { message: 'Card blocked' }]);
    expect((await p.call('PATCH', '/v1/card/block', { externalUserId: user, cardId })).status).toBe(200);
    expect((await p.call('GET', `/v1/card/all/${user}`)).body.cards[0].status).toBe('LOCKED_BY_USER');
    const declined = await authorize(p, cardId, '5.00');
    expect([declined.status, declined.body.status, declined.body.declineReason]).toEqual([201, 'DECLINED', 'CARD_LOCKED']);
    const unblock = await p.call('PATCH', '/v1/card/unblock', { externalUserId: user, cardId });
    expect([unblock.status, unblock.body]).toEqual([200, { message: 'Card unblocked' }]);
    expect((await p.call('PATCH', '/v1/card/unblock', { externalUserId: user, cardId })).status).toBe(200);
    await approved(p, cardId, '5.00');
  });

  it('DELETED is final: details, PIN, block, limits answer P664; authorizations decline; the list keeps it', async () => {
    const user = await cardUser(p, '50.00');
    const { cardId } = await createCard(p, user);
    const del = await p.call('DELETE', '/v1/card', { externalUserId: user, cardId });
    expect([del.status, del.body]).toEqual([200, { message: 'Card deleted' }]);
    expect((await p.call('DELETE', '/v1/card', { externalUserId: user, cardId })).status).toBe(200);
    expectError(await p.call('GET', `/v1/card/details/${user}/${cardId}`), 400, 'P664');
    expectError(await p.call('PATCH', '/v1/card/pin', { externalUserId: user, cardId, pin: '1111' }), 400, 'P664');
    expectError(await p.call('PATCH', '/v1/card/block', { externalUserId: user, cardId }), 400, 'P664');
    expectError(await p.call('PATCH', '/v1/card/unblock', { externalUserId: user, cardId }), 400, 'P664');
    expectError(await p.call('PATCH', '/v1/card/limits', { externalUserId: user, cardId, dailyTrxAll: 10 }), 400, 'P664');
    expect((await authorize(p, cardId, '1.00')).body.declineReason).toBe('CARD_DELETED');
    expect((await p.call('GET', `/v1/card/all/${user}`)).body.cards[0].status).toBe('DELETED');
  });

  it('BLOCKED (set by the platform) declines and cannot be unblocked by the partner', async () => {
    const user = await cardUser(p, '50.00');
    const { cardId } = await createCard(p, user);
    await t.db.query(`UPDATE cards SET status = 'BLOCKED' WHERE id = $1`, [cardId]);
    expect((await authorize(p, cardId, '1.00')).body.declineReason).toBe('CARD_BLOCKED');
    expectError(await p.call('PATCH', '/v1/card/unblock', { externalUserId: user, cardId }), 400, 'P664');
    expectError(await p.call('PATCH', '/v1/card/block', { externalUserId: user, cardId }), 400, 'P664');
  });

  it('a suspended user\'s cards are SUSPENDED and decline; unsuspend gives each its status back', async () => {
    const user = await cardUser(p, '50.00');
    const active = (await createCard(p, user, 'Active one')).cardId;
    const locked = (await createCard(p, user, 'Locked one')).cardId;
    await p.call('PATCH', '/v1/card/block', { externalUserId: user, cardId: locked });
    expect((await p.call('PATCH', `/v1/user/suspend/${user}`)).status).toBe(200);
    const cards = (await p.call('GET', `/v1/card/all/${user}`)).body.cards;
    expect(cards.map((c: any) => c.status)).toEqual(['SUSPENDED', 'SUSPENDED']);
    expect((await authorize(p, active, '1.00')).body.declineReason).toBe('CARD_SUSPENDED');
    expectError(await p.call('PATCH', '/v1/card/unblock', { externalUserId: user, cardId: locked }), 400, 'P455');
    expect((await p.call('PATCH', `/v1/user/unsuspend/${user}`)).status).toBe(200);
    const back = (await p.call('GET', `/v1/card/all/${user}`)).body.cards;
    expect(back.map((c: any) => c.status)).toEqual(['ACTIVE', 'LOCKED_BY_USER']);
    await approved(p, active, '1.00');
  });

  it('deleting the user deletes its cards (refused while an authorization holds money)', async () => {
    const user = await cardUser(p, '50.00');
    const { cardId } = await createCard(p, user);
    const auth = await approved(p, cardId, '3.00');
    expectError(await p.call('DELETE', `/v1/user/${user}`), 400, 'P616');
    expect((await p.call('POST', `/v1/sandbox/card/authorizations/${auth}/capture`, {})).status).toBe(200);
    expect((await p.call('DELETE', `/v1/user/${user}`)).status).toBe(200);
    const [row] = await t.db.query<{ status: string }>('SELECT status FROM cards WHERE id = $1', [cardId]);
    expect(row.status).toBe('DELETED');
    expectError(await p.call('GET', `/v1/card/all/${user}`), 400, 'P610');
    expect((await authorize(p, cardId, '1.00')).body.declineReason).toBe('CARD_DELETED');
  });
});

describe('PIN', () => {
  it('ATM needs the PIN; a wrong one declines; the updated PIN works and the old one no longer does', async () => {
    const user = await cardUser(p, '80.00');
    const { cardId } = await createCard(p, user);
    expect((await authorize(p, cardId, '10.00', { channel: 'ATM' })).body.declineReason).toBe('PIN_REQUIRED');
    expect((await authorize(p, cardId, '10.00', { channel: 'ATM', pin: '0000' })).body.declineReason).toBe('INCORRECT_PIN');
    await approved(p, cardId, '10.00', { channel: 'ATM', pin: PIN });
    const res = await p.call('PATCH', '/v1/card/pin', { externalUserId: user, cardId, pin: '7395' });
    expect([res.status, res.body]).toEqual([200, { message: 'Card PIN updated' }]);
    expect((await authorize(p, cardId, '10.00', { channel: 'ATM', pin: PIN })).body.declineReason).toBe('INCORRECT_PIN');
    await approved(p, cardId, '10.00', { channel: 'ATM', pin: '7395' });
    expectError(await p.call('PATCH', '/v1/card/pin', { externalUserId: user, cardId, pin: '73950' }), 400, 'P403');
  });
});

describe('limits', () => {
  it('defaults, partial updates, and the rules: daily <= monthly, ATM/e-commerce <= all, maxima (P668), P403 on bad values', async () => {
    const user = await cardUser(p, '0');
    const { cardId } = await createCard(p, user);
    const got = await p.call('GET', `/v1/card/limits/${user}/${cardId}`);
    expect(got.body).toEqual({ monthlyTrxAll: 5000, dailyTrxAll: 1000, monthlyTrxAtm: 1000, dailyTrxAtm: 200, monthlyTrxEcom: 3000, dailyTrxEcom: 500 });
    const upd = await p.call('PATCH', '/v1/card/limits', { externalUserId: user, cardId, dailyTrxAll: 800.5, dailyTrxEcom: 300 });
    expect(upd.status, JSON.stringify(upd.body)).toBe(200);
    expect(upd.body.message).toBe('Card limits updated');
    expect((await p.call('GET', `/v1/card/limits/${user}/${cardId}`)).body).toEqual({
      monthlyTrxAll: 5000, dailyTrxAll: 800.5, monthlyTrxAtm: 1000, dailyTrxAtm: 200, monthlyTrxEcom: 3000, dailyTrxEcom: 300,
    });
    const refused: [Record<string, unknown>, number, string][] = [
      [{ dailyTrxAll: 6000 }, 400, 'P668'],
      [{ dailyTrxAtm: 900 }, 400, 'P668'],
      [{ monthlyTrxEcom: 5001 }, 400, 'P668'],
      [{ monthlyTrxAll: 30000, dailyTrxAll: 100 }, 400, 'P668'],
      [{ dailyTrxAll: -1 }, 400, 'P403'],
      [{ dailyTrxAll: '100' }, 400, 'P403'],
      [{ dailyTrxAll: 'abc' }, 400, 'P403'],
      [{ dailyTrxAll: 1.234 }, 400, 'P403'],
      [{}, 400, 'P403'],
    ];
    for (const [body, status, code] of refused) {
      expectError(await p.call('PATCH', '/v1/card/limits', { externalUserId: user, cardId, ...body }), status, code);
    }
    expect((await p.call('GET', `/v1/card/limits/${user}/${cardId}`)).body.dailyTrxAll).toBe(800.5);
  });
});
