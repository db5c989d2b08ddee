import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { advance, amounts, expectError } from '../support/balances.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed', CENTUM_TRAVEL_RULE_THRESHOLD_EUR: '100000000' });
});
afterAll(() => t.close());

async function lockRate(p: TestPartner, body: object) {
  const res = await p.call('POST', '/v1/order/lock-rate', body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}
async function createOrder(p: TestPartner, lockId: string) {
  const res = await p.call('POST', '/v1/order', { lockId });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.orderId as string;
}
const details = async (p: TestPartner, orderId: string) => {
  const res = await p.call('GET', `/v1/order/details/${orderId}`);
  expect(res.status).toBe(200);
  return res.body;
};
async function pay(p: TestPartner, order: any, amount: string) {
  const res = await p.call('POST', '/v1/sandbox/crypto-deposit', {
    address: order.walletAddress, currency: order.cryptocurrency, network: order.network, amount,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

describe('orders (fixed rates, fee 1.49 %)', () => {
  it('follows an order from lock to EUR credit, and an underpaid one', async () => {
    const p = await t.createPartner('Merchant');
    // Hand-computed: rate = 0.850897 * (1 - 0.0149) = 0.8382186347 EUR per USDC;
    // due = 100.00 / rate rounded up = 119.300617 USDC; gross = 119.300617 * 0.850897 = 101.51 EUR, fee 1.51.
    const lock = await lockRate(p, { currency: 'usdc', amount: '100.00', network: 'polygon' });
    expect(lock).toMatchObject({ amount: 119.300617, rate: '0.8382186347', currency: 'usdc', destinationCurrency: 'eur', network: 'polygon', destinationAmount: 100 });
    const orderId = await createOrder(p, lock.lockId);
    expect(await details(p, orderId)).toMatchObject({
      orderId, lockId: lock.lockId, status: 'WAITING_FOR_WALLET_ADDRESS', walletAddress: null, expiresAt: null,
      totalAmountRequired: 119.300617, receivedAmount: 0, cryptocurrency: 'usdc', network: 'POLYGON', requiredConfirmations: 32,
    });
    const clock = await advance(p, 0);
    const waiting = await details(p, orderId);
    expect(waiting.status).toBe('WAITING_FOR_PAYMENT');
    expect(waiting.walletAddress).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(new Date(waiting.expiresAt).getTime() - new Date(clock.now).getTime()).toBeGreaterThan(29 * 60_000);

    const before = await amounts(p);
    await pay(p, waiting, '119.300617');
    expect(await details(p, orderId)).toMatchObject({ status: 'WAITING_FOR_CONFIRMATION', confirmations: 0, receivedAmount: 119.300617 });
    await advance(p, 20);
    const confirming = await details(p, orderId);
    expect(confirming.status).toBe('WAITING_FOR_CONFIRMATION');
    expect(confirming.confirmations).toBeGreaterThan(0);
    expect(confirming.confirmations).toBeLessThan(32);
    expect((await amounts(p)).eur).toBe(before.eur);
    await advance(p, 3600);
    expect(await details(p, orderId)).toMatchObject({ status: 'COMPLETED', confirmations: 32, settledAmount: 100, fee: 1.51 });
    const after = await amounts(p);
    expect(after.eur).toBe('100.00');
    expect(after.usdc).toBe(before.usdc);

    // Underpaid: BTC at rate 101464.263998 * 0.9851 = 99952.4464644; due 0.00250119 BTC for 250.00 EUR.
    // 0.00125 BTC arrives: credited 0.00125 * 99952.4464644 = 124.94 EUR (rounded down), fee 126.83 - 124.94 = 1.89.
    const btcLock = await lockRate(p, { currency: 'BTC', amount: 250 });
    expect(btcLock).toMatchObject({ amount: 0.00250119, rate: '99952.4464644', network: 'btc' });
    const btcOrder = await createOrder(p, btcLock.lockId);
    await advance(p, 0);
    await pay(p, await details(p, btcOrder), '0.00125');
    await advance(p, 3600);
    expect(await details(p, btcOrder)).toMatchObject({ status: 'UNDERPAID', receivedAmount: 0.00125, totalAmountRequired: 0.00250119, settledAmount: 124.94, fee: 1.89 });
    expect((await amounts(p)).eur).toBe('224.94');

    const events = await t.db.query<{ payload: any }>(`SELECT payload FROM events WHERE partner_id = $1 AND type = 'order.status' ORDER BY id`, [p.id]);
    expect(events.filter((e) => e.payload.orderId === orderId).map((e) => e.payload.status)).toEqual([
      'WAITING_FOR_WALLET_ADDRESS', 'WAITING_FOR_PAYMENT', 'WAITING_FOR_CONFIRMATION', 'COMPLETED',
    ]);
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('converts an overpayment at the locked rate', async () => {
    const p = await t.createPartner('Overpaid');
    const lock = await lockRate(p, { currency: 'usdc', amount: '100.00', network: 'polygon' });
    const orderId = await createOrder(p, lock.lockId);
    await advance(p, 0);
    await pay(p, await details(p, orderId), '200');
    await advance(p, 3600);
    // 200 * 0.8382186347 = 167.64 EUR; gross 200 * 0.850897 = 170.17.
    expect(await details(p, orderId)).toMatchObject({ status: 'COMPLETED', settledAmount: 167.64, fee: 2.53 });
    expect((await amounts(p)).eur).toBe('167.64');
  });

  it("refuses another coin sent to an order's address, and moves nothing", async () => {
    const p = await t.createPartner('Wrong coin');
    const lock = await lockRate(p, { currency: 'usdc', amount: '10.00', network: 'polygon' });
    const orderId = await createOrder(p, lock.lockId);
    await advance(p, 0);
    const order = await details(p, orderId);
    // POL and USDC on Polygon share the address format; the order takes USDC only.
    const res = await p.call('POST', '/v1/sandbox/crypto-deposit', {
      address: order.walletAddress, currency: 'pol', network: 'polygon', amount: '119.300617',
    });
    expectError(res, 404, 'P613');
    await advance(p, 3600);
    expect((await details(p, orderId)).status).not.toBe('COMPLETED');
    expect((await amounts(p)).eur).toBe('0.00');
  });

  it('expires an unpaid order with the sandbox clock; a late payment is credited unconverted', async () => {
    const p = await t.createPartner('Expired');
    const lock = await lockRate(p, { currency: 'eth', amount: '20.00' });
    const orderId = await createOrder(p, lock.lockId);
    await advance(p, 0);
    await advance(p, 29 * 60);
    expect((await details(p, orderId)).status).toBe('WAITING_FOR_PAYMENT');
    await advance(p, 61);
    const expired = await details(p, orderId);
    expect(expired.status).toBe('EXPIRED');
    await pay(p, expired, '0.01');
    await advance(p, 3600);
    expect(await details(p, orderId)).toMatchObject({ status: 'EXPIRED', settledAmount: null });
    expect(await amounts(p)).toMatchObject({ eur: '0.00', eth: '0.01000000' });
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('quotes indicative rates for every payment currency and network', async () => {
    const p = await t.createPartner('Rates');
    const res = await p.call('GET', '/v1/order/rates');
    expect(res.status).toBe(200);
    expect(res.body.destinationCurrency).toBe('eur');
    expect(res.body.feePercentage).toBe(1.49);
    expect(res.body.rates).toContainEqual({ currency: 'usdc', network: 'polygon', rate: '0.8382186347' });
    expect(res.body.rates).toContainEqual({ currency: 'btc', network: 'btc', rate: '99952.4464644' });
    expect(res.body.rates.length).toBe(9);
  });

  it('refuses bad locks and input with documented errors, and hides other partners\' orders', async () => {
    const p = await t.createPartner('Order errors');
    const other = await t.createPartner('Order errors, other');
    const lockErrors: [unknown, number, string][] = [
      [{ currency: 'eur', amount: '10' }, 400, 'P410'],
      [{ currency: 'xrp', amount: '10' }, 400, 'P410'],
      [{ currency: 'usdc', amount: '10', network: 'btc' }, 400, 'P632'],
      [{ currency: 'usdc', amount: '0.99', network: 'polygon' }, 400, 'P615'],
      [{ currency: 'usdc', amount: '10.001' }, 400, 'P403'],
      [{ currency: 'usdc' }, 400, 'P403'],
      [{ currency: 'usdc', amount: '10', extra: true }, 400, 'P403'],
    ];
    for (const [body, status, code] of lockErrors) expectError(await p.call('POST', '/v1/order/lock-rate', body), status, code);

    const expiring = await lockRate(p, { currency: 'ltc', amount: '10' });
    const used = await lockRate(p, { currency: 'ltc', amount: '10' });
    const usedOrder = await createOrder(p, used.lockId);
    const theirs = await lockRate(other, { currency: 'ltc', amount: '10' });
    const exchangeLock = (await p.call('GET', '/v1/partner/exchange/get-lock?currencyFrom=ltc&currencyTo=eur&amount=1')).body;
    await advance(p, 41);
    expectError(await p.call('POST', '/v1/order', { lockId: expiring.lockId }), 400, 'P621');
    expectError(await p.call('POST', '/v1/order', { lockId: used.lockId }), 400, 'P622');
    expectError(await p.call('POST', '/v1/order', { lockId: theirs.lockId }), 404, 'P620');
    expectError(await p.call('POST', '/v1/order', { lockId: exchangeLock.lockId }), 404, 'P620');
    expectError(await p.call('POST', '/v1/order', { lockId: 'nope' }), 400, 'P403');
    expectError(await p.call('POST', '/v1/order', {}), 400, 'P403');
    expectError(await other.call('GET', `/v1/order/details/${usedOrder}`), 404, 'P626');
    expectError(await p.call('GET', '/v1/order/details/0190a0a0-0000-7000-8000-000000000000'), 404, 'P626');
    expectError(await p.call('GET', '/v1/order/details/not-an-id'), 404, 'P626');
    const orders = await t.db.query('SELECT id FROM orders WHERE partner_id = $1', [p.id]);
    expect(orders.length).toBe(1);
  });

  it('creates one order for a retried request with the same Idempotency-Key', async () => {
    const p = await t.createPartner('Order retry');
    const lock = await lockRate(p, { currency: 'doge', amount: '10' });
    const first = await p.call('POST', '/v1/order', { lockId: lock.lockId }, { 'idempotency-key': 'order-1' });
    const second = await p.call('POST', '/v1/order', { lockId: lock.lockId }, { 'idempotency-key': 'order-1' });
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect((await t.db.query('SELECT id FROM orders WHERE partner_id = $1', [p.id])).length).toBe(1);
  });
});
