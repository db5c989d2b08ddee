import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { amounts, expectError, fund } from '../support/balances.js';
import { approveKyc, createUser } from '../support/users.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed', CENTUM_TRAVEL_RULE_THRESHOLD_EUR: '100000000' });
});
afterAll(() => t.close());

const query = (from: string, to: string, amount: string) => `currencyFrom=${from}&currencyTo=${to}&amount=${amount}`;
async function userLock(p: TestPartner, user: string, from: string, to: string, amount: string) {
  const res = await p.call('GET', `/v1/exchange/get-lock/${user}?${query(from, to, amount)}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}
/** Funds a user through a partner -> user transfer. */
async function fundUser(p: TestPartner, user: string, currency: string, amount: string) {
  await fund(p, currency, amount);
  const res = await p.call('POST', '/v1/transfer', { destinationExternalUserId: user, currency, amount });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe('user exchange', () => {
  it("converts a user's balances at the locked rate, exactly", async () => {
    const p = await t.createPartner('User exchange');
    await createUser(p, 'u1');
    await fundUser(p, 'u1', 'eur', '100.00');
    const lock = await userLock(p, 'u1', 'eur', 'doge', '100.00');
    expect(lock).toMatchObject({ rate: 4.58688032966, fee: '1.49', amountTo: '451.85358127' });
    const res = await p.call('POST', '/v1/exchange', { externalUserId: 'u1', amount: 100, currencyFrom: 'eur', currencyTo: 'doge', lockId: lock.lockId });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await amounts(p, 'u1')).toMatchObject({ eur: '0.00', doge: '451.85358127' });
    const details = await p.call('GET', `/v1/exchange/details/${res.body.exchangeId}`);
    expect(details.body).toMatchObject({ exchangeId: res.body.exchangeId, status: 'COMPLETED', externalUserId: 'u1', amountFrom: '100.00', amountTo: '451.85358127' });
    // Partner-level details do not show a user's exchange.
    expectError(await p.call('GET', `/v1/partner/exchange/details/${res.body.exchangeId}`), 404, 'P624');

    // sourceExternalUserId works as the user field too.
    const back = await userLock(p, 'u1', 'doge', 'eur', '100');
    const res2 = await p.call('POST', '/v1/exchange', { sourceExternalUserId: 'u1', amount: '100', currencyFrom: 'doge', currencyTo: 'eur', lockId: back.lockId });
    expect(res2.status).toBe(200);
    expect((await amounts(p, 'u1')).doge).toBe('351.85358127');
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it("refuses another user's, the partner's and another partner's locks, and unknown users", async () => {
    const p = await t.createPartner('User exchange errors');
    const other = await t.createPartner('User exchange errors, other');
    await createUser(p, 'a');
    await createUser(p, 'b');
    await createUser(other, 'a');
    await fundUser(p, 'a', 'eur', '20.00');
    const locksB = await userLock(p, 'b', 'eur', 'btc', '5.00');
    const partnerLock = (await p.call('GET', `/v1/partner/exchange/get-lock?${query('eur', 'btc', '5.00')}`)).body;
    const theirs = await userLock(other, 'a', 'eur', 'btc', '5.00');
    const before = await amounts(p, 'a');
    const body = { externalUserId: 'a', amount: '5.00', currencyFrom: 'eur', currencyTo: 'btc' };
    expectError(await p.call('POST', '/v1/exchange', { ...body, lockId: locksB.lockId }), 400, 'P627');
    expectError(await p.call('POST', '/v1/exchange', { ...body, lockId: partnerLock.lockId }), 400, 'P627');
    expectError(await p.call('POST', '/v1/exchange', { ...body, lockId: theirs.lockId }), 404, 'P620');
    expectError(await p.call('POST', '/v1/partner/exchange', { amount: '5.00', currencyFrom: 'eur', currencyTo: 'btc', lockId: locksB.lockId }), 400, 'P627');
    expectError(await p.call('POST', '/v1/exchange', { ...body, externalUserId: 'ghost', lockId: locksB.lockId }), 400, 'P412');
    expectError(await p.call('POST', '/v1/exchange', { amount: '5.00', currencyFrom: 'eur', currencyTo: 'btc', lockId: locksB.lockId }), 400, 'P403');
    expectError(await p.call('POST', '/v1/exchange', { ...body, sourceExternalUserId: 'b', lockId: locksB.lockId }), 400, 'P403');
    expectError(await p.call('GET', `/v1/exchange/get-lock/ghost?${query('eur', 'btc', '5.00')}`), 400, 'P412');
    await createUser(other, 'only-theirs');
    expectError(await p.call('GET', `/v1/exchange/get-lock/only-theirs?${query('eur', 'btc', '5.00')}`), 400, 'P412');
    expectError(await p.call('POST', '/v1/exchange', { ...body, externalUserId: 'only-theirs', lockId: theirs.lockId }), 400, 'P412');
    expect(await amounts(p, 'a')).toEqual(before);
  });

  it("needs an approved KYC user's EUR balance to be active", async () => {
    const p = await t.createPartner('KYC exchange');
    await createUser(p, 'k', 'KYC');
    await fundUser(p, 'k', 'usdc', '50');
    const lock = await userLock(p, 'k', 'usdc', 'eur', '10');
    const body = { externalUserId: 'k', amount: '10', currencyFrom: 'usdc', currencyTo: 'eur', lockId: lock.lockId };
    expectError(await p.call('POST', '/v1/exchange', body), 400, 'P612');
    expect((await amounts(p, 'k')).usdc).toBe('50.000000');
    await approveKyc(p, 'k');
    expect((await p.call('POST', '/v1/exchange', body)).status).toBe(200);
    expect(await amounts(p, 'k')).toMatchObject({ usdc: '40.000000', eur: '8.38' });
  });
});
