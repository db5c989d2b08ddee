import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveAddress } from '../../src/rails/chains/addresses.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { advance } from '../support/balances.js';
import { createApprovedUser } from '../support/users.js';
import { events, expectBalanced, ledgerOf, postingsFor, walletOf } from '../support/ledger.js';

let t: TestApp;
let partner: TestPartner;
let other: TestPartner;

const SENDER = deriveAddress('outside-world', 'evm', 9).address;

beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner('Deposits');
  other = await t.createPartner('Other');
});
afterAll(() => t.close());

const deposit = (p: TestPartner, body: Record<string, unknown>) => p.call('POST', '/v1/sandbox/crypto-deposit', body);
const depositEvents = async (id: string) => (await events(t, partner.id, 'crypto_deposit.status')).filter((e) => e.cryptoDepositId === id);
const trBody = (extra: Record<string, unknown> = {}) =>
  ({ walletType: 'SELF_CUSTODY', details: { firstName: 'Jan', lastName: 'Kowalski', street: 'Długa 7', city: 'Kraków', postCode: '31-000', country: 'PL' }, ...extra });

describe('crypto deposits', () => {
  it('confirm with the sandbox clock and credit only when final (SUCCESSFUL)', async () => {
    const address = await walletOf(t, { partnerId: partner.id }, 'btc');
    const res = await deposit(partner, { address, currency: 'btc', amount: '0.01' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'WAITING_FOR_VERIFICATION', requiredConfirmations: 2 });
    const id = res.body.cryptoDepositId;
    await advance(partner, 600); // one block of 10 minutes
    expect((await ledgerOf(t, { partnerId: partner.id })).btc.posted).toBe(0n);
    await advance(partner, 600);
    expect((await ledgerOf(t, { partnerId: partner.id })).btc.posted).toBe(1_000_000n);
    const sent = await depositEvents(id);
    expect(sent.map((e) => [e.status, e.confirmations])).toEqual([['WAITING_FOR_VERIFICATION', 0], ['SUCCESSFUL', 2]]);
    expect(sent[1]).toMatchObject({ externalUserId: null, amount: 0.01, currency: 'btc', transactionHash: res.body.transactionHash });
    await advance(partner, 3600);
    expect(await postingsFor(t, id)).toBe(1);
    await expectBalanced(t);
  });

  it('marks a deposit below minDeposit UNSUCCESSFUL and credits nothing', async () => {
    const address = await walletOf(t, { partnerId: partner.id }, 'evm');
    const res = await deposit(partner, { address, currency: 'usdc', network: 'ethereum', amount: '4.99' });
    expect([res.status, res.body.status]).toEqual([201, 'UNSUCCESSFUL']);
    await advance(partner, 3600);
    expect((await ledgerOf(t, { partnerId: partner.id })).usdc.posted).toBe(0n);
    expect((await depositEvents(res.body.cryptoDepositId)).map((e) => e.status)).toEqual(['UNSUCCESSFUL']);
    expect(await postingsFor(t, res.body.cryptoDepositId)).toBe(0);
  });

  it('holds an outside sender above the travel-rule threshold until Update Travel Rule (user)', async () => {
    const user = await createApprovedUser(partner);
    const address = await walletOf(t, { partnerId: partner.id, userId: user.id }, 'evm');
    const res = await deposit(partner, { address: address.toLowerCase(), currency: 'eth', amount: '1', senderAddress: SENDER });
    const id = res.body.cryptoDepositId;
    const early = await partner.call('PATCH', `/v1/crypto-deposit/update-travel-rule/${id}`, trBody());
    expect([early.status, early.body.errorCode]).toEqual([400, 'P635']);
    await advance(partner, 3600);
    expect((await ledgerOf(t, { partnerId: partner.id, userId: user.id })).eth.posted).toBe(0n);
    expect((await depositEvents(id)).map((e) => e.status)).toEqual(['WAITING_FOR_VERIFICATION', 'WAITING_FOR_TR_DATA']);

    const asPartner = await partner.call('PATCH', `/v1/partner/crypto-deposit/update-travel-rule/${id}`, trBody());
    expect([asPartner.status, asPartner.body.errorCode]).toEqual([404, 'P634']);
    const foreign = await other.call('PATCH', `/v1/crypto-deposit/update-travel-rule/${id}`, trBody());
    expect([foreign.status, foreign.body.errorCode]).toEqual([404, 'P634']);
    const otherUser = await createApprovedUser(partner);
    const wrongUser = await partner.call('PATCH', `/v1/crypto-deposit/update-travel-rule/${id}`, trBody({ externalUserId: otherUser.externalUserId }));
    expect([wrongUser.status, wrongUser.body.errorCode]).toEqual([404, 'P634']);
    const nameless = await partner.call('PATCH', `/v1/crypto-deposit/update-travel-rule/${id}`, { walletType: 'CUSTODIAL', details: { city: 'X' } });
    expect([nameless.status, nameless.body.errorCode]).toEqual([400, 'P403']);
    const badType = await partner.call('PATCH', `/v1/crypto-deposit/update-travel-rule/${id}`, trBody({ walletType: 'NON_CUSTODIAL' }));
    expect([badType.status, badType.body.errorCode]).toEqual([400, 'P403']);
    expect((await ledgerOf(t, { partnerId: partner.id, userId: user.id })).eth.posted).toBe(0n);

    const ok = await partner.call('PATCH', `/v1/crypto-deposit/update-travel-rule/${id}`, trBody({ externalUserId: user.externalUserId }));
    expect([ok.status, ok.body]).toEqual([200, { cryptoDepositId: id, status: 'SUCCESSFUL' }]);
    expect((await ledgerOf(t, { partnerId: partner.id, userId: user.id })).eth.posted).toBe(100_000_000n);
    const sent = await depositEvents(id);
    expect(sent.map((e) => e.status)).toEqual(['WAITING_FOR_VERIFICATION', 'WAITING_FOR_TR_DATA', 'SUCCESSFUL']);
    expect(sent[2].externalUserId).toBe(user.externalUserId);
    const again = await partner.call('PATCH', `/v1/crypto-deposit/update-travel-rule/${id}`, trBody());
    expect([again.status, again.body.errorCode]).toEqual([400, 'P635']);
    expect(await postingsFor(t, id)).toBe(1);
    await expectBalanced(t);
  });

  it('applies the travel rule to partner deposits too, and not below the threshold', async () => {
    const address = await walletOf(t, { partnerId: partner.id }, 'evm');
    const big = await deposit(partner, { address, currency: 'eth', amount: '0.5', senderAddress: SENDER });
    const small = await deposit(partner, { address, currency: 'eth', amount: '0.2', senderAddress: SENDER });
    await advance(partner, 3600);
    expect((await ledgerOf(t, { partnerId: partner.id })).eth.posted).toBe(20_000_000n);
    const res = await partner.call('PATCH', `/v1/partner/crypto-deposit/update-travel-rule/${big.body.cryptoDepositId}`,
      { walletType: 'CUSTODIAL', details: { iAmOwnerOfWallet: true } });
    expect([res.status, res.body.status]).toEqual([200, 'SUCCESSFUL']);
    expect((await ledgerOf(t, { partnerId: partner.id })).eth.posted).toBe(70_000_000n);
    const userLevel = await partner.call('PATCH', `/v1/crypto-deposit/update-travel-rule/${small.body.cryptoDepositId}`, trBody());
    expect([userLevel.status, userLevel.body.errorCode]).toEqual([404, 'P634']);
    const unknown = await partner.call('PATCH', '/v1/partner/crypto-deposit/update-travel-rule/0190a0a0-0000-7000-8000-000000000000', trBody());
    expect([unknown.status, unknown.body.errorCode]).toEqual([404, 'P634']);
    const garbage = await partner.call('PATCH', '/v1/partner/crypto-deposit/update-travel-rule/zzz', trBody());
    expect([garbage.status, garbage.body.errorCode]).toEqual([404, 'P634']);
  });

  it('rejects bad input with the documented errors and credits nothing', async () => {
    const btc = await walletOf(t, { partnerId: partner.id }, 'btc');
    const evm = await walletOf(t, { partnerId: partner.id }, 'evm');
    const theirs = await walletOf(t, { partnerId: other.id }, 'btc');
    const before = await ledgerOf(t, { partnerId: partner.id });
    const cases: [unknown, number, string][] = [
      [{ address: deriveAddress('outside-world', 'btc', 3).address, currency: 'btc', amount: '1' }, 404, 'P613'],
      [{ address: theirs, currency: 'btc', amount: '1' }, 404, 'P613'],
      [{ address: btc, currency: 'eth', amount: '1' }, 404, 'P613'],
      [{ address: evm, currency: 'xyz', amount: '1' }, 400, 'P410'],
      [{ address: evm, currency: 'eur', amount: '1' }, 400, 'P410'],
      [{ address: evm, currency: 'usdc', network: 'btc', amount: '10' }, 400, 'P632'],
      [{ address: evm, currency: 'usdc', amount: '10.0000001' }, 400, 'P403'],
      [{ address: evm, currency: 'eth', amount: '-1' }, 400, 'P403'],
      [{ address: evm, currency: 'eth', amount: '99999999999999999999' }, 400, 'P403'],
      [{ address: evm, currency: 'eth' }, 400, 'P403'],
    ];
    for (const [body, status, code] of cases) {
      const res = await deposit(partner, body as Record<string, unknown>);
      expect([res.status, res.body.errorCode], JSON.stringify(body)).toEqual([status, code]);
    }
    await advance(partner, 3600);
    expect(await ledgerOf(t, { partnerId: partner.id })).toEqual(before);
    expect((await ledgerOf(t, { partnerId: other.id })).btc.posted).toBe(0n);
  });
});

describe('deposits to a deleted user', () => {
  it('returns a deposit still confirming when the user is deleted, and refuses new ones (P610)', async () => {
    const user = await createApprovedUser(partner);
    const address = await walletOf(t, { partnerId: partner.id, userId: user.id }, 'btc');
    const res = await deposit(partner, { address, currency: 'btc', amount: '0.3' });
    const deleted = await partner.call('DELETE', `/v1/user/${user.externalUserId}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    await advance(partner, 3600);
    expect((await depositEvents(res.body.cryptoDepositId)).map((e) => e.status)).toEqual(['WAITING_FOR_VERIFICATION', 'UNSUCCESSFUL']);
    expect(await postingsFor(t, res.body.cryptoDepositId)).toBe(0);
    const again = await deposit(partner, { address, currency: 'btc', amount: '0.1' });
    expect([again.status, again.body.errorCode]).toEqual([400, 'P610']);
    await expectBalanced(t);
  });
});

describe('Create Wallet', () => {
  it('creates a missing wallet through a job and reports it; an existing one is P636', async () => {
    const exists = await partner.call('POST', '/v1/partner/wallet', { currency: 'btc' });
    expect([exists.status, exists.body.errorCode]).toEqual([400, 'P636']);
    // A partner created before the LTC network existed has no LTC address.
    const p = await t.createPartner('Older partner');
    const original = await walletOf(t, { partnerId: p.id }, 'ltc');
    await t.db.query(`DELETE FROM wallet_addresses WHERE partner_id = $1 AND family = 'ltc'`, [p.id]);
    expect((await p.call('GET', '/v1/partner/balances')).body.cryptoBalances.find((b: any) => b.name === 'ltc').wallet).toBeNull();

    const res = await p.call('POST', '/v1/partner/wallet', { currency: 'LTC' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ currency: 'ltc', network: 'ltc', status: 'PENDING' });
    const twice = await p.call('POST', '/v1/partner/wallet', { currency: 'ltc', network: 'ltc' });
    expect([twice.status, twice.body.errorCode]).toEqual([400, 'P636']);
    await advance(p, 0);
    const ltc = (await p.call('GET', '/v1/partner/balances')).body.cryptoBalances.find((b: any) => b.name === 'ltc');
    expect(ltc.wallet).toBe(original);
    expect(await events(t, p.id, 'wallet.status')).toMatchObject([{ walletId: res.body.walletId, currency: 'ltc', network: 'ltc', wallet: original, status: 'ACTIVE' }]);
    const again = await p.call('POST', '/v1/partner/wallet', { currency: 'ltc' });
    expect([again.status, again.body.errorCode]).toEqual([400, 'P636']);
    // The new wallet receives deposits.
    const dep = await deposit(p, { address: original, currency: 'ltc', amount: '0.5' });
    expect(dep.status).toBe(201);
  });

  it('rejects unknown currencies and networks', async () => {
    for (const [body, code] of [[{ currency: 'xyz' }, 'P410'], [{ currency: 'eur' }, 'P410'], [{ currency: 'usdc', network: 'btc' }, 'P632'], [{}, 'P403']] as const) {
      const res = await partner.call('POST', '/v1/partner/wallet', body);
      expect([res.status, res.body.errorCode], JSON.stringify(body)).toEqual([400, code]);
    }
  });
});
