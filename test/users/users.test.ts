import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { amounts, balances, expectError, fund } from '../support/balances.js';
import { createKycUser, kycBody, nonKycBody, uniqueId, userEvents } from '../support/users.js';

let t: TestApp;
let partner: TestPartner;
let other: TestPartner;

beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner('Users');
  other = await t.createPartner('Other');
});
afterAll(() => t.close());

const KYC = '/v1/user/balances/crypto-and-fiat';
const NON_KYC = '/v1/user/balances/crypto';
const sepaTransfer = (externalUserId: string, amount = '10.00') => partner.call('POST', '/v1/sepa-transfer', {
  sourceExternalUserId: externalUserId, amount, currency: 'eur', destinationIban: 'DE89370400440532013000', transferTitle: 'Rent',
});

describe('create user (KYC model)', () => {
  it('creates the user with active crypto balances and a EUR balance waiting for KYC', async () => {
    const externalUserId = uniqueId();
    const res = await partner.call('POST', KYC, kycBody(externalUserId));
    expect(res.status).toBe(200);
    expect(res.body.userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.poaRequiredForExtended).toBe(false);
    expect(res.body.poaRequired).toBe(false);
    expect(res.body.fiatBalances).toEqual([
      expect.objectContaining({ name: 'eur', amount: '0.00', rate: 1, iban: null, status: 'WAITING_TO_BE_ACTIVATED' }),
    ]);
    expect(res.body.cryptoBalances.map((b: any) => b.name).sort()).toEqual(['btc', 'doge', 'eth', 'ltc', 'pol', 'usdc', 'usdt']);
    for (const b of res.body.cryptoBalances) {
      expect(b.wallet).toBeTruthy();
      expect(b.status).toBe('ACTIVE');
    }
    const viaFaqPath = await partner.call('GET', `/v1/user/balances/${externalUserId}`);
    const viaClientPath = await partner.call('GET', `/v1/user/${externalUserId}/balances`);
    expect(viaFaqPath.status).toBe(200);
    expect(viaClientPath.body.fiatBalances).toEqual(viaFaqPath.body.fiatBalances);
    expect(viaClientPath.body.cryptoBalances.map((b: any) => b.wallet)).toEqual(viaFaqPath.body.cryptoBalances.map((b: any) => b.wallet));
    expect(await userEvents(t, partner.id, externalUserId)).toEqual([
      { path: '/webhook/user/status', externalUserId, status: 'WAITING_FOR_VERIFICATION' },
    ]);
  });

  it('needs a proof of address for the legacy POA countries', async () => {
    const res = await partner.call('POST', KYC, kycBody(uniqueId(), { country: 'ua', citizenship: 'UA', nationality: 'UA' }));
    expect(res.status).toBe(200);
    expect([res.body.poaRequiredForExtended, res.body.poaRequired]).toEqual([true, true]);
  });

  it('accepts the legacy and v1 body versions and requires only the documented minimum', async () => {
    const legacy = nonKycBody(uniqueId(), { phone: '48501234567', postCode: '00-001', pesel: '90051512345' });
    expect((await partner.call('POST', KYC, legacy)).status).toBe(200);
    const minimal = { externalUserId: uniqueId(), email: 'a@b.co', firstName: 'A', lastName: 'B', citizenship: 'DE' };
    expect((await partner.call('POST', KYC, minimal)).status).toBe(200);
  });

  it('approves KYC: IBAN issued, EUR active, user ACTIVE, SEPA deposits credit', async () => {
    const externalUserId = uniqueId();
    await createKycUser(partner, externalUserId, false);
    const decided = await partner.call('POST', '/v1/sandbox/kyc-decision', { externalUserId, decision: 'APPROVED' });
    expect(decided.status).toBe(200);
    expect(decided.body).toEqual({ externalUserId, status: 'ACTIVE', iban: expect.stringMatching(/^[A-Z]{2}\d{2}/) });
    const eur = (await balances(partner, externalUserId)).fiatBalances[0];
    expect([eur.status, eur.iban]).toEqual(['ACTIVE', decided.body.iban]);
    await fund(partner, 'eur', '25.50', externalUserId);
    expect((await amounts(partner, externalUserId)).eur).toBe('25.50');
    expect((await userEvents(t, partner.id, externalUserId)).map((e) => e.status)).toEqual(['WAITING_FOR_VERIFICATION', 'ACTIVE']);
    expectError(await partner.call('POST', '/v1/sandbox/kyc-decision', { externalUserId, decision: 'REJECTED' }), 400, 'P617');
    expect((await userEvents(t, partner.id, externalUserId)).length).toBe(2);
  });

  it('rejects KYC: the EUR balance stays waiting and the user cannot move money', async () => {
    const externalUserId = uniqueId();
    await createKycUser(partner, externalUserId, false);
    const decided = await partner.call('POST', '/v1/sandbox/kyc-decision', { externalUserId, decision: 'REJECTED' });
    expect(decided.body).toEqual({ externalUserId, status: 'REJECTED', iban: null });
    expect((await balances(partner, externalUserId)).fiatBalances[0].status).toBe('WAITING_TO_BE_ACTIVATED');
    expectError(await sepaTransfer(externalUserId), 400, 'P459');
    expect((await userEvents(t, partner.id, externalUserId)).map((e) => e.status)).toEqual(['WAITING_FOR_VERIFICATION', 'REJECTED']);
  });

  it('refuses a reused externalUserId with P411, also when two creates race', async () => {
    const externalUserId = uniqueId();
    expect((await partner.call('POST', KYC, kycBody(externalUserId))).status).toBe(200);
    expectError(await partner.call('POST', KYC, kycBody(externalUserId)), 400, 'P411');
    expectError(await partner.call('POST', NON_KYC, nonKycBody(externalUserId)), 400, 'P411');
    const racing = uniqueId();
    const results = await Promise.all([1, 2, 3, 4].map(() => partner.call('POST', KYC, kycBody(racing))));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400]);
    expect(results.filter((r) => r.status === 400).every((r) => r.body.errorCode === 'P411')).toBe(true);
    // Another partner may use the same externalUserId for its own user.
    expect((await other.call('POST', KYC, kycBody(externalUserId))).status).toBe(200);
  });

  it('replays a create retried with the same Idempotency-Key', async () => {
    const body = kycBody();
    const first = await partner.call('POST', KYC, body, { 'idempotency-key': `k-${body.externalUserId}` });
    const retry = await partner.call('POST', KYC, body, { 'idempotency-key': `k-${body.externalUserId}` });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body.userId).toBe(first.body.userId);
  });

  it('rejects bad input with P403 and creates nothing', async () => {
    const { email: _e, ...noEmail } = kycBody('bad-1');
    const { country: _c, citizenship: _ci, nationality: _n, ...noCountry } = kycBody('bad-2');
    const cases: [string, unknown][] = [
      ['bad-1', noEmail],
      ['bad-2', noCountry],
      ['bad-3', kycBody('bad-3', { email: 'not-an-email' })],
      ['bad-4', kycBody('bad-4', { country: 'XX' })],
      ['bad-5', kycBody('bad-5', { birthDate: '1990-02-30' })],
      ['bad-6', kycBody('bad-6', { birthDate: '2999-01-01' })],
      ['bad-7', kycBody('bad-7', { birthDate: '15-05-1990' })],
      ['bad-8', kycBody('bad-8', { documentType: 'VISA' })],
      ['bad-9', kycBody('bad-9', { hasAcceptedP100Tc: false })],
      ['bad-10', kycBody('bad-10', { favouriteColour: 'blue' })],
      ['bad-11', kycBody('bad-11', { firstName: '   ' })],
      ['bad-12', kycBody('bad-12', { citizenship: 'POL' })],
      ['bad-13', kycBody('bad-13', { phone: 'call me' })],
      ['bad-14', kycBody('bad-14', { email: 42 })],
      ['', kycBody('')],
      ['bad-16', 'not json at all'],
    ];
    for (const [id, body] of cases) {
      const res = await partner.call('POST', KYC, body);
      expect(res.status, `${id}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.errorCode, id).toBe('P403');
      if (id) expectError(await partner.call('GET', `/v1/user/balances/${id}`), 400, 'P412');
    }
    const multi = await partner.call('POST', KYC, kycBody('bad-17', { email: 'x@y', country: 'ZZ' }));
    expect(multi.body.errorMessage).toContain('email');
    expect(multi.body.errorMessage).toContain('country');
  });
});

describe('create user without KYC', () => {
  it('creates an active user with crypto and an active EUR balance without an IBAN', async () => {
    const externalUserId = uniqueId('nokyc');
    const res = await partner.call('POST', NON_KYC, nonKycBody(externalUserId));
    expect(res.status).toBe(200);
    const eur = res.body.balances.find((b: any) => b.name === 'eur');
    expect(eur).toEqual({ id: expect.any(String), amount: '0.00', name: 'eur', wallet: null, rate: 1 });
    const btc = res.body.balances.find((b: any) => b.name === 'btc');
    expect(btc.wallet).toBeTruthy();
    expect(btc.networkConfig.btc.name).toBe('test');
    const view = await balances(partner, externalUserId);
    expect(view.fiatBalances[0]).toMatchObject({ status: 'ACTIVE', iban: null });
    expect(await userEvents(t, partner.id, externalUserId)).toEqual([{ path: '/webhook/user/status', externalUserId, status: 'ACTIVE' }]);
    expectError(await partner.call('POST', '/v1/sandbox/kyc-decision', { externalUserId, decision: 'APPROVED' }), 400, 'P614');
    await fund(partner, 'btc', '0.001', externalUserId);
    expect((await amounts(partner, externalUserId)).btc).toBe('0.00100000');
  });

  it('rejects bad input with P403', async () => {
    for (const body of [nonKycBody('nk-bad-1', { birthDate: '1990-13-01' }), nonKycBody('nk-bad-2', { country: 'pl1' }), { externalUserId: 'nk-bad-3' }]) {
      expectError(await partner.call('POST', NON_KYC, body), 400, 'P403');
    }
    expectError(await partner.call('GET', '/v1/user/balances/nk-bad-1'), 400, 'P412');
  });
});

describe('update user', () => {
  it('changes only the given fields, with the creation checks', async () => {
    const { externalUserId } = await createKycUser(partner);
    const res = await partner.call('PATCH', `/v1/user/${externalUserId}`, { city: 'Gdansk', email: 'NEW@Example.com' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ externalUserId, city: 'Gdansk', email: 'new@example.com', firstName: 'Maria', status: 'ACTIVE', model: 'KYC' });
    for (const body of [{}, { country: 'XX' }, { birthDate: '2000-02-30' }, { hasAcceptedP100Tc: false }, { externalUserId: 'other' }, { email: '' }]) {
      expectError(await partner.call('PATCH', `/v1/user/${externalUserId}`, body), 400, 'P403');
    }
    const after = await partner.call('PATCH', `/v1/user/${externalUserId}`, { phone: '48600100200' });
    expect(after.body).toMatchObject({ city: 'Gdansk', country: 'PL', phone: '48600100200' });
    expectError(await partner.call('PATCH', '/v1/user/nobody-here', { city: 'X' }), 400, 'P412');
    expectError(await other.call('PATCH', `/v1/user/${externalUserId}`, { city: 'Hacked' }), 400, 'P412');
    expect((await partner.call('PATCH', `/v1/user/${externalUserId}`, { city: 'Gdansk' })).body.city).toBe('Gdansk');
  });
});

describe('suspend and unsuspend', () => {
  it('blocks money movement (P455) but not reads, and restores the previous status', async () => {
    const { externalUserId } = await createKycUser(partner);
    await fund(partner, 'eur', '50.00', externalUserId);
    const suspended = await partner.call('PATCH', `/v1/user/suspend/${externalUserId}`);
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('SUSPENDED');
    expectError(await sepaTransfer(externalUserId), 400, 'P455');
    expect((await amounts(partner, externalUserId)).eur).toBe('50.00');
    expect((await partner.call('GET', `/v1/user/transaction-history/${externalUserId}`)).status).toBe(200);
    expect((await partner.call('PATCH', `/v1/user/suspend/${externalUserId}`)).body.status).toBe('SUSPENDED');
    expect((await partner.call('PATCH', `/v1/user/${externalUserId}`, { city: 'Lodz' })).body).toMatchObject({ city: 'Lodz', status: 'SUSPENDED' });
    const back = await partner.call('PATCH', `/v1/user/unsuspend/${externalUserId}`);
    expect(back.body.status).toBe('ACTIVE');
    expect((await partner.call('PATCH', `/v1/user/unsuspend/${externalUserId}`)).body.status).toBe('ACTIVE');
    expect((await sepaTransfer(externalUserId)).status).toBe(200);
    expect((await userEvents(t, partner.id, externalUserId)).map((e) => e.status))
      .toEqual(['WAITING_FOR_VERIFICATION', 'ACTIVE', 'SUSPENDED', 'ACTIVE']);
  });

  it('keeps a KYC user waiting for verification waiting after unsuspension', async () => {
    const { externalUserId } = await createKycUser(partner, uniqueId(), false);
    await partner.call('PATCH', `/v1/user/suspend/${externalUserId}`);
    expectError(await partner.call('POST', '/v1/sandbox/kyc-decision', { externalUserId, decision: 'APPROVED' }), 400, 'P617');
    expect((await partner.call('PATCH', `/v1/user/unsuspend/${externalUserId}`)).body.status).toBe('WAITING_FOR_VERIFICATION');
  });

  it("cannot reach unknown or another partner's users", async () => {
    const { externalUserId } = await createKycUser(partner);
    for (const action of ['suspend', 'unsuspend']) {
      expectError(await partner.call('PATCH', `/v1/user/${action}/ghost-user`), 400, 'P412');
      expectError(await other.call('PATCH', `/v1/user/${action}/${externalUserId}`), 400, 'P412');
    }
    expect((await userEvents(t, partner.id, externalUserId)).map((e) => e.status)).toEqual(['WAITING_FOR_VERIFICATION', 'ACTIVE']);
  });
});

describe('delete user', () => {
  it("sweeps the user's money to the partner, closes the balances and retires the externalUserId", async () => {
    const { externalUserId } = await createKycUser(partner);
    await fund(partner, 'eur', '70.25', externalUserId);
    await fund(partner, 'usdc', '12.5', externalUserId);
    const iban = (await balances(partner, externalUserId)).fiatBalances[0].iban;
    const partnerBefore = await amounts(partner);
    const res = await partner.call('DELETE', `/v1/user/${externalUserId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ externalUserId, status: 'DELETED', deletedAt: expect.any(String) });
    const partnerAfter = await amounts(partner);
    const minor = (s: string) => BigInt(s.replace('.', ''));
    expect(minor(partnerAfter.eur) - minor(partnerBefore.eur)).toBe(7025n);
    expect(minor(partnerAfter.usdc) - minor(partnerBefore.usdc)).toBe(12_500_000n);
    const history = await partner.call('GET', '/v1/partner/transaction-history?type=user_deletion');
    expect(history.body.transactions.filter((x: any) => x.currency === 'eur')[0]).toMatchObject({ amount: '70.25', direction: 'CREDIT' });

    expectError(await partner.call('GET', `/v1/user/balances/${externalUserId}`), 400, 'P610');
    expectError(await partner.call('GET', `/v1/user/${externalUserId}/balances`), 400, 'P610');
    expectError(await partner.call('GET', `/v1/user/transaction-history/${externalUserId}`), 400, 'P610');
    expectError(await partner.call('PATCH', `/v1/user/${externalUserId}`, { city: 'X' }), 400, 'P610');
    expectError(await partner.call('PATCH', `/v1/user/suspend/${externalUserId}`), 400, 'P610');
    expectError(await partner.call('DELETE', `/v1/user/${externalUserId}`), 400, 'P610');
    expectError(await partner.call('PATCH', `/v1/user/unsuspend/${externalUserId}`), 400, 'P610');
    expectError(await partner.call('POST', '/v1/sandbox/kyc-decision', { externalUserId, decision: 'APPROVED' }), 400, 'P610');
    expectError(await sepaTransfer(externalUserId), 400, 'P610');
    expectError(await partner.call('POST', KYC, kycBody(externalUserId)), 400, 'P411');
    expectError(await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '1.00' }), 400, 'P610');
    expect(await amounts(partner)).toEqual(partnerAfter);
    expect((await userEvents(t, partner.id, externalUserId)).map((e) => e.status).at(-1)).toBe('DELETED');
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('is refused (P616) while an operation holds some of the money, and nothing changes', async () => {
    const { externalUserId } = await createKycUser(partner);
    await fund(partner, 'eur', '40.00', externalUserId);
    expect((await sepaTransfer(externalUserId, '5.00')).status).toBe(200);
    const before = await amounts(partner, externalUserId);
    const partnerBefore = await amounts(partner);
    expectError(await partner.call('DELETE', `/v1/user/${externalUserId}`), 400, 'P616');
    expect(await amounts(partner, externalUserId)).toEqual(before);
    expect(await amounts(partner)).toEqual(partnerBefore);
  });

  it("cannot delete unknown or another partner's users", async () => {
    const { externalUserId } = await createKycUser(partner);
    await fund(partner, 'eur', '3.00', externalUserId);
    expectError(await other.call('DELETE', `/v1/user/${externalUserId}`), 400, 'P412');
    expectError(await partner.call('DELETE', '/v1/user/ghost-user'), 400, 'P412');
    expect((await amounts(partner, externalUserId)).eur).toBe('3.00');
  });
});

describe('partner isolation', () => {
  it("another partner cannot see a user's balances or decide its KYC", async () => {
    const { externalUserId } = await createKycUser(partner, uniqueId(), false);
    expectError(await other.call('GET', `/v1/user/balances/${externalUserId}`), 400, 'P412');
    expectError(await other.call('GET', `/v1/user/${externalUserId}/balances`), 400, 'P412');
    expectError(await other.call('POST', '/v1/sandbox/kyc-decision', { externalUserId, decision: 'APPROVED' }), 400, 'P412');
    expect((await balances(partner, externalUserId)).fiatBalances[0].status).toBe('WAITING_TO_BE_ACTIVATED');
    for (const body of [{ externalUserId }, { externalUserId, decision: 'MAYBE' }, { decision: 'APPROVED' }]) {
      expectError(await partner.call('POST', '/v1/sandbox/kyc-decision', body), 400, 'P403');
    }
    expectError(await partner.call('POST', '/v1/sandbox/kyc-decision', { externalUserId: 'ghost', decision: 'APPROVED' }), 400, 'P412');
  });
});
