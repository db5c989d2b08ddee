import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveAddress } from '../../src/rails/chains/addresses.js';
import { EVENT_PATHS } from '../../src/outbox/events.js';
import { emitEvent } from '../../src/outbox/events.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { startReceiver, type Receiver } from './receiver.js';
import { advance, fund } from '../support/balances.js';
import { approveKyc, createUser } from '../support/users.js';

/**
 * End to end: each feature that exists produces its event, and a real receiver on loopback gets it
 * at base URL + the documented path with the documented fields (integration-and-reference.md §6.4).
 */
let t: TestApp;
let receiver: Receiver;
let p: TestPartner;

beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed', CENTUM_TRAVEL_RULE_THRESHOLD_EUR: '100000000' });
  receiver = await startReceiver();
  p = await t.createPartner('Events');
  expect((await p.call('PUT', '/v1/partner/webhook-settings', { url: `${receiver.url}/p100` })).status).toBe(200);
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Bodies received on an event's path (after running what is due), optionally filtered. */
async function receivedOn(type: keyof typeof EVENT_PATHS, filter: (body: any) => boolean = () => true): Promise<any[]> {
  await advance(p, 0);
  const bodies = receiver.received.filter((r) => r.path === `/p100${EVENT_PATHS[type]}`).map((r) => r.json).filter(filter);
  for (const r of receiver.received.filter((r) => r.path === `/p100${EVENT_PATHS[type]}`)) {
    expect(r.headers.authorization).toBe(p.webhookToken);
    expect(r.headers['centum-event-type']).toBe(type);
  }
  return bodies;
}

describe('every event type reaches its documented path', () => {
  it('delivers each EVENT_PATHS type written to the outbox to base URL + its path', async () => {
    const solo = await t.createPartner();
    await solo.call('PUT', '/v1/partner/webhook-settings', { url: `${receiver.url}/solo` });
    for (const type of Object.keys(EVENT_PATHS) as (keyof typeof EVENT_PATHS)[]) {
      await t.db.tx((q) => emitEvent(q, solo.id, type, { probe: type }));
    }
    await solo.call('POST', '/v1/sandbox/clock/advance', { seconds: 0 });
    const got = receiver.received.filter((r) => r.path.startsWith('/solo/'));
    expect(Object.fromEntries(got.map((r) => [r.json.probe, r.path.slice('/solo'.length)]))).toEqual(EVENT_PATHS);
  });
});

describe('events from the features', () => {
  it('user.status: ACTIVE once a KYC user is approved', async () => {
    await createUser(p, 'kyc-alice', 'KYC');
    await approveKyc(p, 'kyc-alice');
    const bodies = await receivedOn('user.status', (b) => b.externalUserId === 'kyc-alice');
    expect(bodies.at(-1)).toEqual({ externalUserId: 'kyc-alice', status: 'ACTIVE' });
  });

  it('sepa_deposit.status: a credited incoming SEPA payment with sender and amount', async () => {
    await fund(p, 'eur', '250.00');
    const [body] = await receivedOn('sepa_deposit.status');
    expect(body).toMatchObject({ id: expect.stringMatching(UUID), currency: 'eur', status: 'APPROVED' });
    expect(Number(body.amount)).toBe(250);
    expect(body).toHaveProperty('senderName');
    expect(body).toHaveProperty('senderIban');
  });

  it('crypto_deposit.status: externalUserId, cryptoDepositId, amount (number), currency, status, transactionHash, createdAt', async () => {
    await fund(p, 'btc', '0.5');
    const bodies = await receivedOn('crypto_deposit.status');
    const final = bodies.find((b) => b.status === 'SUCCESSFUL');
    expect(final).toMatchObject({
      externalUserId: null, cryptoDepositId: expect.stringMatching(UUID), amount: 0.5, currency: 'btc',
      transactionHash: expect.any(String), createdAt: expect.stringMatching(ISO),
    });
  });

  it('exchange.status: the exchange and its status', async () => {
    const lock = (await p.call('GET', '/v1/partner/exchange/get-lock?currencyFrom=eur&currencyTo=btc&amount=10.00')).body;
    const res = await p.call('POST', '/v1/partner/exchange', { amount: '10.00', currencyFrom: 'eur', currencyTo: 'btc', lockId: lock.lockId });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const bodies = await receivedOn('exchange.status');
    expect(bodies).toHaveLength(1);
    expect(JSON.stringify(bodies[0])).toContain(res.body.exchangeId);
    expect(bodies[0]).toMatchObject({ status: expect.any(String), currencyFrom: 'eur', currencyTo: 'btc' });
  });

  it('partner_sepa_transfer.status: the documented transfer fields once it settles', async () => {
    const res = await p.call('POST', '/v1/partner/sepa-transfer', {
      amount: '5', currency: 'eur', destinationIban: 'DE89370400440532013000', transferTitle: 'Invoice 7',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await advance(p, 86_400);
    const [body] = await receivedOn('partner_sepa_transfer.status', (b) => b.id === res.body.transferId);
    expect(body).toMatchObject({
      id: res.body.transferId, type: 'external', transferTitle: 'Invoice 7', destinationIban: 'DE89370400440532013000',
      receiverFirstName: null, receiverLastName: null, status: 'SUCCESSFUL', currency: 'eur', fee: expect.any(Number),
      createdAt: expect.stringMatching(ISO),
    });
    expect(Number(body.amount)).toBe(5);
  });

  it('sepa_transfer.status: a user\'s SEPA transfer, with the user', async () => {
    const iban = (await p.call('GET', '/v1/user/balances/kyc-alice')).body.fiatBalances[0].iban;
    expect((await p.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '40' })).status).toBe(201);
    const res = await p.call('POST', '/v1/sepa-transfer', {
      sourceExternalUserId: 'kyc-alice', currency: 'eur', amount: '12.50', receiverType: 'NATURAL', receiverFirstName: 'Piotr',
      receiverLastName: 'Zieliński', destinationIban: 'PL27114020040000300201355387', transferTitle: 'Rent',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await advance(p, 86_400);
    const [body] = await receivedOn('sepa_transfer.status', (b) => b.id === res.body.transferId);
    expect(body).toMatchObject({
      id: res.body.transferId, externalUserId: 'kyc-alice', transferTitle: 'Rent', destinationIban: 'PL27114020040000300201355387',
      receiverFirstName: 'Piotr', receiverLastName: 'Zieliński', status: 'SUCCESSFUL', currency: 'eur', fee: expect.any(Number),
      createdAt: expect.stringMatching(ISO),
    });
    expect(Number(body.amount)).toBe(12.5);
  });

  it('crypto_withdrawal.status: id, amount, fee, destination, status, transactionHash, currency {name, network}, createdAt', async () => {
    const destination = deriveAddress('outside-world', 'btc', 1).address;
    const res = await p.call('POST', '/v1/partner/crypto-withdrawal', {
      currency: 'btc', amount: '0.01', walletAddress: destination, name: 'Maria Wiśniewska', walletType: 'NON_CUSTODIAL', receiverType: 'NATURAL',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await advance(p, 3600);
    const bodies = await receivedOn('crypto_withdrawal.status', (b) => b.id === res.body.withdrawalId);
    const final = bodies.at(-1);
    expect(final).toMatchObject({
      id: res.body.withdrawalId, amount: 0.01, fee: expect.any(Number), destination, status: 'SUCCESSFUL',
      transactionHash: expect.any(String), currency: { name: 'btc', network: expect.any(String) }, createdAt: expect.stringMatching(ISO),
    });
  });

  it('transfer.status: source and destination users, amount (number), currency, status, createdAt', async () => {
    await createUser(p, 'bob');
    const res = await p.call('POST', '/v1/transfer', { destinationExternalUserId: 'bob', currency: 'eur', amount: '2.50' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [body] = await receivedOn('transfer.status', (b) => b.id === res.body.transferId);
    expect(body).toMatchObject({
      id: res.body.transferId, sourceExternalUserId: null, destinationExternalUserId: 'bob', amount: 2.5, currency: 'eur',
      status: 'SUCCESSFUL', createdAt: expect.stringMatching(ISO),
    });
  });

  it('wallet.status: the address made by Create Wallet', async () => {
    // As for a partner created before LTC was supported: it has no LTC address yet.
    await t.db.query(`DELETE FROM wallet_addresses WHERE partner_id = $1 AND user_id IS NULL AND family = 'ltc'`, [p.id]);
    const res = await p.call('POST', '/v1/partner/wallet', { currency: 'ltc' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const [body] = await receivedOn('wallet.status', (b) => b.walletId === res.body.walletId);
    expect(body).toMatchObject({
      walletId: res.body.walletId, currency: 'ltc', network: res.body.network, wallet: expect.any(String), status: 'ACTIVE',
      createdAt: expect.stringMatching(ISO),
    });
  });

  it('order.status: each status change of an order', async () => {
    const lock = await p.call('POST', '/v1/order/lock-rate', { currency: 'usdc', amount: '100.00', network: 'polygon' });
    expect(lock.status, JSON.stringify(lock.body)).toBe(200);
    const order = await p.call('POST', '/v1/order', { lockId: lock.body.lockId });
    expect(order.status, JSON.stringify(order.body)).toBe(200);
    const bodies = await receivedOn('order.status', (b) => JSON.stringify(b).includes(order.body.orderId));
    expect(bodies.length).toBeGreaterThan(0);
    expect(bodies.at(-1)).toMatchObject({ status: expect.any(String) });
  });
});
