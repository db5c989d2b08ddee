import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { advance, balances, expectError, fund } from '../support/balances.js';
import { approved, authorize, cardUser, createCard, eurOf, step } from './helpers.js';

/** The simulated card network: authorizations as holds, capture, increment, reversal, expiry, refund, 3DS, limits, fees. */

let t: TestApp;
let p: TestPartner;
beforeAll(async () => {
  t = await startTestApp();
  p = await t.createPartner('Card network');
  await fund(p, 'eur', '5000.00');
});
afterAll(async () => {
  expect(await checkInvariant(t.db)).toMatchObject({ balanced: true });
  await t.close();
});

async function events(partnerId: string, type: string) {
  const rows = await t.db.query<{ payload: any }>('SELECT payload FROM events WHERE partner_id = $1 AND type = $2 ORDER BY id', [partnerId, type]);
  return rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));
}

const view = async (authorizationId: string) =>
  (await t.db.query<{ status: string; amount: bigint; refunded: bigint }>('SELECT status, amount, refunded FROM card_authorizations WHERE id = $1', [authorizationId]))[0];

describe('authorization and capture', () => {
  it('holds the amount, captures in part (the rest released), shows in history with masked card and merchant, reports each step', async () => {
    const user = await cardUser(p, '100.00');
    const { cardId, cardNumber } = await createCard(p, user);
    const auth = await approved(p, cardId, '40.00', { merchantName: 'Book Nook', mcc: '5942' });
    expect(await eurOf(p, user)).toBe('60.00');
    const captured = await step(p, auth, 'capture', { amount: '25.50' });
    expect(captured.status, JSON.stringify(captured.body)).toBe(200);
    expect(captured.body).toMatchObject({ status: 'CAPTURED', capturedAmount: '25.50', heldAmount: '0.00', amount: '40.00' });
    expect(await eurOf(p, user)).toBe('74.50');
    const history = await p.call('GET', `/v1/user/transaction-history/${user}?type=card_transaction`);
    expect(history.status).toBe(200);
    expect(history.body.transactions ?? history.body.items ?? history.body).toBeDefined();
    const text = JSON.stringify(history.body);
    expect(text).toContain(`Card **** ${cardNumber.slice(-4)} at Book Nook`);
    expect(text).toContain('-25.50');
    expect(text).not.toContain(cardNumber);
    const sent = (await events(p.id, 'card_transaction.status')).filter((e) => e.authorizationId === auth);
    expect(sent.map((e) => [e.type, e.transactionAmount])).toEqual([['AUTHORIZATION', '40.00'], ['CAPTURE', '25.50']]);
    expect(sent[0]).toMatchObject({ externalUserId: user, cardId, cardLastDigits: cardNumber.slice(-4), merchantName: 'Book Nook', mcc: '5942', channel: 'POS' });
  });

  it('a capture never exceeds the hold (P667) and happens once (P666); unknown authorization P665', async () => {
    const user = await cardUser(p, '50.00');
    const { cardId } = await createCard(p, user);
    const auth = await approved(p, cardId, '10.00');
    expectError(await step(p, auth, 'capture', { amount: '10.01' }), 400, 'P667');
    expect((await step(p, auth, 'capture', {})).body.capturedAmount).toBe('10.00');
    expectError(await step(p, auth, 'capture', {}), 400, 'P666');
    expectError(await step(p, auth, 'reversal', {}), 400, 'P666');
    expectError(await step(p, '0190a0a0-0000-7000-8000-000000000000', 'capture', {}), 404, 'P665');
    expectError(await step(p, 'not-an-id', 'capture', {}), 404, 'P665');
    expect(await eurOf(p, user)).toBe('40.00');
  });

  it('reversal in part keeps the rest held; in full releases all; never more than held', async () => {
    const user = await cardUser(p, '50.00');
    const { cardId } = await createCard(p, user);
    const auth = await approved(p, cardId, '30.00');
    expectError(await step(p, auth, 'reversal', { amount: '30.01' }), 400, 'P667');
    expect((await step(p, auth, 'reversal', { amount: '12.00' })).body).toMatchObject({ status: 'PENDING', heldAmount: '18.00' });
    expect(await eurOf(p, user)).toBe('32.00');
    expect((await step(p, auth, 'reversal', {})).body).toMatchObject({ status: 'REVERSED', heldAmount: '0.00' });
    expect(await eurOf(p, user)).toBe('50.00');
    expectError(await step(p, auth, 'capture', {}), 400, 'P666');
  });

  it('increment holds more after the checks again; declined increments change nothing', async () => {
    const user = await cardUser(p, '50.00');
    const { cardId } = await createCard(p, user);
    expect((await p.call('PATCH', '/v1/card/limits', { externalUserId: user, cardId, dailyTrxAll: 45, dailyTrxAtm: 45, dailyTrxEcom: 45 })).status).toBe(200);
    const auth = await approved(p, cardId, '20.00');
    expect((await step(p, auth, 'increment', { amount: '15.00' })).body).toMatchObject({ status: 'PENDING', heldAmount: '35.00', declineReason: null });
    expect((await step(p, auth, 'increment', { amount: '15.00' })).body).toMatchObject({ heldAmount: '35.00', declineReason: 'DAILY_LIMIT_EXCEEDED' });
    await p.call('PATCH', '/v1/card/limits', { externalUserId: user, cardId, dailyTrxAll: 1000 });
    expect((await step(p, auth, 'increment', { amount: '15.01' })).body).toMatchObject({ heldAmount: '35.00', declineReason: 'INSUFFICIENT_FUNDS' });
    expect(await eurOf(p, user)).toBe('15.00');
    expectError(await step(p, auth, 'increment', {}), 400, 'P403');
    expect((await step(p, auth, 'capture', {})).body.capturedAmount).toBe('35.00');
    const types = (await events(p.id, 'card_transaction.status')).filter((e) => e.authorizationId === auth).map((e) => e.type);
    expect(types).toEqual(['AUTHORIZATION', 'INCREMENT', 'INCREMENT_DECLINED', 'INCREMENT_DECLINED', 'CAPTURE']);
  });

  it('expires after the configured time on the sandbox clock: the hold is released, once', async () => {
    const user = await cardUser(p, '50.00');
    const { cardId } = await createCard(p, user);
    const auth = await approved(p, cardId, '20.00');
    await advance(p, 7 * 86_400 - 60);
    expect((await view(auth)).status).toBe('PENDING');
    await advance(p, 120);
    expect((await view(auth)).status).toBe('EXPIRED');
    expect(await eurOf(p, user)).toBe('50.00');
    expectError(await step(p, auth, 'capture', {}), 400, 'P666');
    expect((await events(p.id, 'card_transaction.status')).filter((e) => e.authorizationId === auth).map((e) => e.type)).toEqual(['AUTHORIZATION', 'EXPIRY']);
  });

  it('refund credits the user, in part or whole, never more than captured', async () => {
    const user = await cardUser(p, '50.00');
    const { cardId } = await createCard(p, user);
    const auth = await approved(p, cardId, '20.00');
    expectError(await step(p, auth, 'refund', {}), 400, 'P666');
    await step(p, auth, 'capture', { amount: '18.00' });
    expect(await eurOf(p, user)).toBe('32.00');
    expect((await step(p, auth, 'refund', { amount: '5.00' })).body.refundedAmount).toBe('5.00');
    expectError(await step(p, auth, 'refund', { amount: '13.01' }), 400, 'P667');
    expect((await step(p, auth, 'refund', {})).body.refundedAmount).toBe('18.00');
    expectError(await step(p, auth, 'refund', {}), 400, 'P667');
    expect(await eurOf(p, user)).toBe('50.00');
    const history = JSON.stringify((await p.call('GET', `/v1/user/transaction-history/${user}?type=card_refund`)).body);
    expect(history).toContain('Refund: Card ****');
  });
});

describe('declines', () => {
  it.each([
    ['INSUFFICIENT_FUNDS', '20.01', {}],
    ['CURRENCY_NOT_SUPPORTED', '1.00', { currency: 'btc' }],
  ])('%s', async (reason, amount, extra) => {
    const user = await cardUser(p, '20.00');
    const { cardId } = await createCard(p, user);
    const res = await authorize(p, cardId, amount, extra);
    expect([res.status, res.body.status, res.body.declineReason]).toEqual([201, 'DECLINED', reason]);
    expect(await eurOf(p, user)).toBe('20.00');
    expect((await events(p.id, 'card_transaction.status')).filter((e) => e.cardId === cardId).map((e) => e.type)).toEqual(['DECLINE']);
  });

  it('CARD_EXPIRED after the expiry month on the partner\'s clock', async () => {
    const q = await t.createPartner('Expiry');
    await fund(q, 'eur', '100.00');
    const user = await cardUser(q, '20.00');
    const { cardId, exp } = await createCard(q, user);
    const [month, year] = exp.split('/').map(Number);
    const now = new Date((await advance(q, 0)).now);
    const lastDay = Date.UTC(2000 + year, month, 1) - 3_600_000; // an hour before the month after `exp`
    await advance(q, Math.floor((lastDay - now.getTime()) / 1000));
    await approved(q, cardId, '1.00');
    await advance(q, 2 * 3600);
    expect((await authorize(q, cardId, '1.00')).body.declineReason).toBe('CARD_EXPIRED');
  }, 120_000);

  it('limits: spent = captured + pending per channel, on the partner\'s day and month; reversals free the room', async () => {
    const q = await t.createPartner('Limits');
    await fund(q, 'eur', '2000.00');
    const user = await cardUser(q, '1000.00');
    const { cardId } = await createCard(q, user);
    const set = await q.call('PATCH', '/v1/card/limits', {
      externalUserId: user, cardId, monthlyTrxAll: 300, dailyTrxAll: 120, monthlyTrxAtm: 100, dailyTrxAtm: 40, monthlyTrxEcom: 150, dailyTrxEcom: 60,
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    // A minute into a fresh partner month, so the windows are predictable.
    const now = new Date((await advance(q, 0)).now);
    await advance(q, Math.ceil((Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - now.getTime()) / 1000) + 60);
    const reason = async (amount: string, extra: Record<string, unknown> = {}) => (await authorize(q, cardId, amount, extra)).body.declineReason;
    const atm = await approved(q, cardId, '40.00', { channel: 'ATM', pin: '4821' });
    expect(await reason('0.01', { channel: 'ATM', pin: '4821' })).toBe('DAILY_ATM_LIMIT_EXCEEDED');
    await step(q, atm, 'capture', {});
    const ecom = await approved(q, cardId, '50.00', { channel: 'ECOM' });
    expect(await reason('10.01', { channel: 'ECOM' })).toBe('DAILY_ECOM_LIMIT_EXCEEDED');
    expect(await reason('30.01')).toBe('DAILY_LIMIT_EXCEEDED');
    await step(q, ecom, 'reversal', { amount: '20.00' });
    await approved(q, cardId, '50.00');
    expect(await reason('0.01')).toBe('DAILY_LIMIT_EXCEEDED');
    await advance(q, 86_400);
    await approved(q, cardId, '60.00');
    await approved(q, cardId, '40.00', { channel: 'ATM', pin: '4821' });
    await advance(q, 86_400);
    // Month so far: 40 + 30 + 50 + 60 + 40 = 220, ATM 80.
    expect(await reason('30.00', { channel: 'ATM', pin: '4821' })).toBe('MONTHLY_ATM_LIMIT_EXCEEDED');
    expect(await reason('80.01')).toBe('MONTHLY_LIMIT_EXCEEDED');
    await approved(q, cardId, '80.00');
    await advance(q, 31 * 86_400);
    await approved(q, cardId, '50.00');
  }, 60_000);
});

describe('3DS and activation codes', () => {
  it('an e-commerce payment with 3DS waits for the code the partner relays; a wrong code declines', async () => {
    const user = await cardUser(p, '50.00');
    const { cardId } = await createCard(p, user);
    const first = await authorize(p, cardId, '12.00', { channel: 'ECOM', threeDS: true });
    expect([first.status, first.body.status]).toEqual([201, 'AWAITING_3DS']);
    expect(await eurOf(p, user)).toBe('50.00');
    const code = (await events(p.id, 'card.3ds_code')).find((e) => e.authorization_id === first.body.authorizationId);
    expect(code).toMatchObject({ event_type: 'card.3ds', external_user_id: user, card_id: cardId });
    expect(code.code).toMatch(/^\d{6}$/);
    const ok = await step(p, first.body.authorizationId, '3ds', { code: code.code });
    expect(ok.body).toMatchObject({ status: 'PENDING', heldAmount: '12.00' });
    expect(await eurOf(p, user)).toBe('38.00');
    expectError(await step(p, first.body.authorizationId, '3ds', { code: code.code }), 400, 'P669');

    const second = await authorize(p, cardId, '5.00', { channel: 'ECOM', threeDS: true });
    const sent = (await events(p.id, 'card.3ds_code')).find((e) => e.authorization_id === second.body.authorizationId).code;
    const wrong = sent === '000000' ? '000001' : '000000';
    expect((await step(p, second.body.authorizationId, '3ds', { code: wrong })).body).toMatchObject({ status: 'DECLINED', declineReason: 'THREE_DS_FAILED' });
    expect(await eurOf(p, user)).toBe('38.00');
  });

  it('the sandbox sends an activation code webhook', async () => {
    const user = await cardUser(p, '0');
    const { cardId } = await createCard(p, user);
    const res = await p.call('POST', '/v1/sandbox/card/activation-code', { externalUserId: user, cardId });
    expect(res.body).toEqual({ cardId, sent: true });
    const sent = (await events(p.id, 'card.activation_code')).find((e) => e.card_id === cardId);
    expect(sent).toMatchObject({ event_type: 'card.activation', external_user_id: user });
    expect(sent.code).toMatch(/^\d{6}$/);
  });
});

describe('money under concurrency', () => {
  it('64 concurrent authorizations on one card never exceed the balance or the daily limit', async () => {
    for (const [eur, limit, expected] of [['300.00', 250, 25], ['200.00', 1000, 20]] as const) {
      const user = await cardUser(p, eur);
      const { cardId } = await createCard(p, user);
      expect((await p.call('PATCH', '/v1/card/limits', { externalUserId: user, cardId, dailyTrxAll: limit, dailyTrxEcom: Math.min(limit, 500) })).status).toBe(200);
      const results = await Promise.all(Array.from({ length: 64 }, () => authorize(p, cardId, '10.00')));
      expect(results.every((r) => r.status === 201), JSON.stringify(results.find((r) => r.status !== 201)?.body)).toBe(true);
      const ok = results.filter((r) => r.body.status === 'PENDING');
      expect(ok.length).toBe(expected);
      const reasons = new Set(results.filter((r) => r.body.status === 'DECLINED').map((r) => r.body.declineReason));
      expect([...reasons]).toEqual([limit < 300 ? 'DAILY_LIMIT_EXCEEDED' : 'INSUFFICIENT_FUNDS']);
      expect(await eurOf(p, user)).toBe((Number(eur) - expected * 10).toFixed(2));
    }
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  }, 120_000);

  it('captures and reversals racing on one authorization resolve it exactly once', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await cardUser(p, '100.00');
      const { cardId } = await createCard(p, user);
      const auth = await approved(p, cardId, '60.00');
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => step(p, auth, i % 2 ? 'reversal' : 'capture', i % 4 === 0 ? { amount: '30.00' } : {})));
      const ok = results.filter((r) => r.status === 200);
      expect(ok.length, JSON.stringify(results.map((r) => r.body))).toBe(1);
      expect(results.filter((r) => r.status !== 200).every((r) => r.body.errorCode === 'P666')).toBe(true);
      const final = ok[0].body;
      const expected = final.status === 'REVERSED' ? '100.00' : (100 - Number(final.capturedAmount)).toFixed(2);
      expect(await eurOf(p, user)).toBe(expected);
      const [{ n }] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM holds WHERE ref_id = $1 AND status = 'PENDING'`, [auth]);
      expect(n).toBe(0);
    }
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  }, 120_000);
});

describe('monthly card fee', () => {
  it('0.25 EUR per card per month from the partner, on its clock; waits when short (never negative) and catches up', async () => {
    const q = await t.createPartner('Fees');
    await fund(q, 'eur', '1.00');
    const user = await cardUser(q, '0');
    const first = (await createCard(q, user, 'First')).cardId;
    await createCard(q, user, 'Second');
    const eur = async () => (await balances(q)).fiatBalances[0].amount;
    await advance(q, 1);
    expect(await eur()).toBe('0.50');
    await advance(q, 32 * 86_400);
    expect(await eur()).toBe('0.00');
    await advance(q, 31 * 86_400);
    expect(await eur()).toBe('0.00');
    await fund(q, 'eur', '1.00');
    await advance(q, 86_400);
    expect(await eur()).toBe('0.50');
    await q.call('DELETE', '/v1/card', { externalUserId: user, cardId: first });
    await advance(q, 31 * 86_400);
    expect(await eur()).toBe('0.25');
    const history = JSON.stringify((await q.call('GET', '/v1/partner/transaction-history?type=card_fee')).body);
    expect(history).toContain('Card fee **** ');
    const [{ n }] = await t.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM card_fees f JOIN cards c ON c.id = f.card_id WHERE c.partner_id = $1', [q.id],
    );
    expect(n).toBe(7);
  }, 60_000);
});
