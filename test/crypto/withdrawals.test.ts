import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveAddress } from '../../src/rails/chains/addresses.js';
import { failingAddress } from '../../src/rails/chains/simulator.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { advance } from '../support/balances.js';
import { createApprovedUser } from '../support/users.js';
import { events, expectBalanced, ledgerOf, postingsFor, walletOf } from '../support/ledger.js';

let t: TestApp;
let partner: TestPartner;
let other: TestPartner;

// Outside destinations: valid testnet addresses from a seed that no Centum install uses.
const EVM_DEST = deriveAddress('outside-world', 'evm', 1).address;
const BTC_DEST = deriveAddress('outside-world', 'btc', 1).address;

beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner('Withdrawals');
  other = await t.createPartner('Other');
  await fund(partner, 'eth', 'evm', '1');
  await fund(partner, 'btc', 'btc', '0.5');
  await fund(partner, 'usdc', 'evm', '100', 'polygon');
});
afterAll(() => t.close());

async function fund(p: TestPartner, currency: string, family: string, amount: string, network?: string, userId?: string) {
  const address = await walletOf(t, { partnerId: p.id, userId }, family);
  const res = await p.call('POST', '/v1/sandbox/crypto-deposit', { address, currency, network, amount });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await advance(p, 3600);
}

const withdrawal = (currency: string, amount: unknown, walletAddress: string, extra: Record<string, unknown> = {}) =>
  ({ currency, amount, walletAddress, name: 'Maria Wiśniewska', walletType: 'NON_CUSTODIAL', receiverType: 'NATURAL', ...extra });

describe('Get Network Fee', () => {
  it('quotes the network fee per currency and network, partner and user paths', async () => {
    for (const path of ['/v1/partner/crypto-withdrawal/get-network-fee', '/v1/crypto-withdrawal/get-network-fee']) {
      expect((await partner.call('GET', `${path}?currency=eth`)).body).toEqual({ networkFee: 0.000469 });
      expect((await partner.call('GET', `${path}?currency=USDC`)).body).toEqual({ networkFee: 2.5 });
      expect((await partner.call('GET', `${path}?currency=usdc&network=POLYGON`)).body).toEqual({ networkFee: 0.01 });
      for (const [query, status, code] of [
        ['currency=xyz', 400, 'P410'], ['currency=eur', 400, 'P410'], ['currency=usdc&network=btc', 400, 'P632'], ['', 400, 'P403'],
      ] as const) {
        const res = await partner.call('GET', `${path}?${query}`);
        expect([res.status, res.body.errorCode], query).toEqual([status, code]);
      }
    }
  });
});

describe('partner crypto withdrawals', () => {
  it('holds amount + fees, confirms block by block with the clock, then posts once (SUCCESSFUL)', async () => {
    const before = await ledgerOf(t, { partnerId: partner.id });
    const res = await partner.call('POST', '/v1/partner/crypto-withdrawal', withdrawal('eth', 0.1, EVM_DEST, { memo: 'payout 7' }));
    expect(res.status).toBe(200);
    const id = res.body.withdrawalId;
    // 0.1 + feeWithdrawal 0.003 + network fee 0.000469, held now
    expect((await ledgerOf(t, { partnerId: partner.id })).eth).toEqual({ posted: before.eth.posted, pending: 10_346_900n });
    let details = (await partner.call('GET', `/v1/partner/crypto-withdrawal/details/${id}`)).body;
    expect(details).toMatchObject({
      id, amount: 0.1, fee: 0.003469, serviceFee: 0.003, networkFee: 0.000469, destination: EVM_DEST, memo: 'payout 7',
      status: 'PROCESSING', currency: { name: 'eth', network: 'ethereum' }, confirmations: 0, requiredConfirmations: 12,
    });
    expect(details.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);

    await advance(partner, 60); // 5 blocks of 12 s
    details = (await partner.call('GET', `/v1/crypto-withdrawal/details/${id}`)).body;
    expect([details.status, details.confirmations]).toEqual(['PROCESSING', 5]);
    await advance(partner, 84);
    details = (await partner.call('GET', `/v1/partner/crypto-withdrawal/details/${id}`)).body;
    expect([details.status, details.confirmations]).toEqual(['SUCCESSFUL', 12]);
    expect((await ledgerOf(t, { partnerId: partner.id })).eth).toEqual({ posted: before.eth.posted - 10_346_900n, pending: 0n });
    expect(await postingsFor(t, id)).toBe(1);
    const sent = (await events(t, partner.id, 'crypto_withdrawal.status')).filter((e) => e.id === id);
    expect(sent.map((e) => e.status)).toEqual(['PROCESSING', 'SUCCESSFUL']);
    expect(sent[1]).toMatchObject({ amount: 0.1, fee: 0.003469, destination: EVM_DEST, transactionHash: details.transactionHash, currency: { name: 'eth', network: 'ethereum' } });
    await advance(partner, 3600);
    expect(await postingsFor(t, id)).toBe(1);
    await expectBalanced(t);
  });

  it('uses the requested network (any case) and bitcoin addresses', async () => {
    const usdc = await partner.call('POST', '/v1/partner/crypto-withdrawal', withdrawal('usdc', '10', EVM_DEST.toLowerCase(), { network: 'POLYGON' }));
    const btc = await partner.call('POST', '/v1/partner/crypto-withdrawal', withdrawal('BTC', '0.01', BTC_DEST));
    expect([usdc.status, btc.status]).toEqual([200, 200]);
    await advance(partner, 1200);
    const u = (await partner.call('GET', `/v1/partner/crypto-withdrawal/details/${usdc.body.withdrawalId}`)).body;
    const b = (await partner.call('GET', `/v1/partner/crypto-withdrawal/details/${btc.body.withdrawalId}`)).body;
    expect(u).toMatchObject({ status: 'SUCCESSFUL', currency: { name: 'usdc', network: 'polygon' }, fee: 0.51, requiredConfirmations: 32 });
    expect(b).toMatchObject({ status: 'SUCCESSFUL', currency: { name: 'btc', network: 'btc' }, fee: 0.000312, requiredConfirmations: 2 });
    expect(b.transactionHash).toMatch(/^[0-9a-f]{64}$/);
    await expectBalanced(t);
  });

  it("fails a withdrawal to the network's rejecting address and returns the money", async () => {
    const before = await ledgerOf(t, { partnerId: partner.id });
    const res = await partner.call('POST', '/v1/partner/crypto-withdrawal', withdrawal('eth', '0.01', failingAddress('ethereum')));
    expect(res.status).toBe(200);
    await advance(partner, 3600);
    const details = (await partner.call('GET', `/v1/partner/crypto-withdrawal/details/${res.body.withdrawalId}`)).body;
    expect(details).toMatchObject({ status: 'FAILED', error: { status: 'REJECTED' } });
    expect(await ledgerOf(t, { partnerId: partner.id })).toEqual(before);
    expect(await postingsFor(t, res.body.withdrawalId)).toBe(0);
    const sent = (await events(t, partner.id, 'crypto_withdrawal.status')).filter((e) => e.id === res.body.withdrawalId);
    expect(sent.map((e) => e.status)).toEqual(['PROCESSING', 'FAILED']);
    await expectBalanced(t);
  });

  it('rejects bad input and short funds with the documented errors; nothing moves', async () => {
    const before = await ledgerOf(t, { partnerId: partner.id });
    const flipped = EVM_DEST.replace(/[a-f]/, (c) => c.toUpperCase()); // checksum broken
    const eth = (await ledgerOf(t, { partnerId: partner.id })).eth;
    const allEth = (Number(eth.posted - eth.pending) / 1e8).toFixed(8); // fits alone, not with fees
    const cases: [unknown, number, string][] = [
      [withdrawal('eth', '0.01', flipped), 400, 'P631'],
      [withdrawal('eth', '0.01', BTC_DEST), 400, 'P631'],
      [withdrawal('btc', '0.01', EVM_DEST), 400, 'P631'],
      [withdrawal('btc', '0.01', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'), 400, 'P631'],
      [withdrawal('btc', '0.01', BTC_DEST.slice(0, -1) + (BTC_DEST.endsWith('q') ? 'p' : 'q')), 400, 'P631'],
      [withdrawal('eth', '0.0001', EVM_DEST), 400, 'P615'],
      [withdrawal('eth', '0.000000001', EVM_DEST), 400, 'P403'],
      [withdrawal('eth', '99999999999999999999', EVM_DEST), 400, 'P403'],
      [withdrawal('xyz', '1', EVM_DEST), 400, 'P410'],
      [withdrawal('eur', '1', EVM_DEST), 400, 'P410'],
      [withdrawal('usdc', '10', EVM_DEST, { network: 'btc' }), 400, 'P632'],
      [withdrawal('eth', '0.01', EVM_DEST, { walletType: 'SELF' }), 400, 'P403'],
      [{ currency: 'eth', amount: '0.01', walletAddress: EVM_DEST }, 400, 'P403'],
      [withdrawal('eth', allEth, EVM_DEST), 400, 'P433'],
      [withdrawal('ltc', '0.01', deriveAddress('outside-world', 'ltc', 1).address), 400, 'P433'],
    ];
    for (const [body, status, code] of cases) {
      const res = await partner.call('POST', '/v1/partner/crypto-withdrawal', body);
      expect([res.status, res.body.errorCode], JSON.stringify(body)).toEqual([status, code]);
    }
    expect(await ledgerOf(t, { partnerId: partner.id })).toEqual(before);
  });

  it("details: unknown ids and another partner's withdrawals are 404 P633", async () => {
    const res = await partner.call('POST', '/v1/partner/crypto-withdrawal', withdrawal('btc', '0.001', BTC_DEST));
    for (const path of ['/v1/partner/crypto-withdrawal/details/', '/v1/crypto-withdrawal/details/']) {
      for (const [p, id] of [[other, res.body.withdrawalId], [partner, '0190a0a0-0000-7000-8000-000000000000'], [partner, 'x']] as const) {
        const r = await p.call('GET', path + id);
        expect([r.status, r.body.errorCode]).toEqual([404, 'P633']);
      }
    }
    await advance(partner, 3600);
  });
});

describe('user crypto withdrawals', () => {
  it("moves a user's crypto with the user in the details and the webhook", async () => {
    const user = await createApprovedUser(partner);
    await fund(partner, 'ltc', 'ltc', '2', undefined, user.id);
    const dest = deriveAddress('outside-world', 'ltc', 2).address;
    const res = await partner.call('POST', '/v1/crypto-withdrawal', { sourceExternalUserId: user.externalUserId, ...withdrawal('ltc', '1.5', dest) });
    expect(res.status).toBe(200);
    await advance(partner, 900);
    const details = (await partner.call('GET', `/v1/crypto-withdrawal/details/${res.body.withdrawalId}`)).body;
    expect(details).toMatchObject({ status: 'SUCCESSFUL', amount: 1.5, fee: 0.0021, user: { externalUserId: user.externalUserId, firstName: 'Maria' } });
    expect((await ledgerOf(t, { partnerId: partner.id, userId: user.id })).ltc).toEqual({ posted: 49_790_000n, pending: 0n });
    const sent = (await events(t, partner.id, 'crypto_withdrawal.status')).filter((e) => e.id === res.body.withdrawalId);
    expect(sent[1]).toMatchObject({ status: 'SUCCESSFUL', user: { externalUserId: user.externalUserId } });

    const before = await ledgerOf(t, { partnerId: partner.id, userId: user.id });
    const foreign = await other.call('POST', '/v1/crypto-withdrawal', { sourceExternalUserId: user.externalUserId, ...withdrawal('ltc', '0.1', dest) });
    expect([foreign.status, foreign.body.errorCode]).toEqual([400, 'P412']);
    const unknown = await partner.call('POST', '/v1/crypto-withdrawal', { sourceExternalUserId: 'nobody', ...withdrawal('ltc', '0.1', dest) });
    expect([unknown.status, unknown.body.errorCode]).toEqual([400, 'P412']);
    const short = await partner.call('POST', '/v1/crypto-withdrawal', { sourceExternalUserId: user.externalUserId, ...withdrawal('ltc', '0.4979', dest) });
    expect([short.status, short.body.errorCode]).toEqual([400, 'P433']);
    expect(await ledgerOf(t, { partnerId: partner.id, userId: user.id })).toEqual(before);
    await expectBalanced(t);
  });
});
