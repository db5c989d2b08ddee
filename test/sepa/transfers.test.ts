import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILING_IBAN } from '../../src/rails/sepa/simulator.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { advance, fund } from '../support/balances.js';
import { createApprovedUser } from '../support/users.js';
import { events, expectBalanced, ledgerOf, postingsFor, userEurIban } from '../support/ledger.js';

let t: TestApp;
let partner: TestPartner;
let other: TestPartner;

beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner('Transfers');
  other = await t.createPartner('Other');
});
afterAll(() => t.close());

const DEST = 'DE89370400440532013000';
const level1 = (amount: unknown, extra: Record<string, unknown> = {}) =>
  ({ amount, currency: 'eur', destinationIban: DEST, transferTitle: 'Invoice 2024/117', ...extra });

describe('partner SEPA transfers', () => {
  it('holds amount + fee at once, settles after the delay: SUCCESSFUL, posted once, event sent', async () => {
    await fund(partner, 'eur', '100.00');
    const res = await partner.call('POST', '/v1/partner/sepa-transfer', level1('50'));
    expect(res.status).toBe(200);
    const id = res.body.transferId;
    expect(await ledgerOf(t, { partnerId: partner.id })).toMatchObject({ eur: { posted: 10000n, pending: 5100n } });
    let details = await partner.call('GET', `/v1/partner/sepa-transfer/details/${id}`);
    expect(details.body).toMatchObject({
      id, type: 'external', amount: '50.00', transferTitle: 'Invoice 2024/117', destinationIban: DEST,
      receiverFirstName: null, receiverLastName: null, status: 'PENDING', currency: 'eur', fee: 1,
    });
    expect(details.body.user).toBeUndefined();

    await advance(partner, 599);
    expect((await partner.call('GET', `/v1/partner/sepa-transfer/details/${id}`)).body.status).toBe('PENDING');
    await advance(partner, 1);
    details = await partner.call('GET', `/v1/partner/sepa-transfer/details/${id}`);
    expect(details.body.status).toBe('SUCCESSFUL');
    expect(await ledgerOf(t, { partnerId: partner.id })).toMatchObject({ eur: { posted: 4900n, pending: 0n } });
    expect(await postingsFor(t, id)).toBe(1);
    const sent = (await events(t, partner.id, 'partner_sepa_transfer.status')).filter((e) => e.id === id);
    expect(sent).toMatchObject([{ id, status: 'SUCCESSFUL', amount: '50.00', fee: 1, currency: 'eur', type: 'external' }]);
    await advance(partner, 3600);
    expect(await postingsFor(t, id)).toBe(1);
    await expectBalanced(t);
  });

  it('takes both documented field sets and the 0.1 % fee (rounded up to the cent, min 1 EUR)', async () => {
    await fund(partner, 'eur', '5000.00');
    const natural = await partner.call('POST', '/v1/partner/sepa-transfer',
      level1('2000', { receiverType: 'NATURAL', receiverFirstName: 'Anna', receiverLastName: 'Nowak' }));
    const legal = await partner.call('POST', '/v1/partner/sepa-transfer', level1(1234.56, { receiverType: 'LEGAL', companyName: 'ACME sp. z o.o.' }));
    expect([natural.status, legal.status]).toEqual([200, 200]);
    const n = (await partner.call('GET', `/v1/partner/sepa-transfer/details/${natural.body.transferId}`)).body;
    const l = (await partner.call('GET', `/v1/sepa-transfer/details/${legal.body.transferId}`)).body;
    expect(n).toMatchObject({ fee: 2, receiverType: 'NATURAL', receiverFirstName: 'Anna', receiverLastName: 'Nowak', companyName: null });
    expect(l).toMatchObject({ fee: 1.24, amount: '1234.56', receiverType: 'LEGAL', companyName: 'ACME sp. z o.o.' });
    await advance(partner, 600);
    await expectBalanced(t);
  });

  it('fails a transfer to the rejecting IBAN: FAILED with an error, money back, nothing posted', async () => {
    const before = await ledgerOf(t, { partnerId: partner.id });
    const res = await partner.call('POST', '/v1/partner/sepa-transfer', level1('10.00', { destinationIban: FAILING_IBAN }));
    expect(res.status).toBe(200);
    await advance(partner, 600);
    const details = (await partner.call('GET', `/v1/partner/sepa-transfer/details/${res.body.transferId}`)).body;
    expect(details).toMatchObject({ status: 'FAILED', error: { description: expect.any(String), status: 'AC04' } });
    expect(await ledgerOf(t, { partnerId: partner.id })).toEqual(before);
    expect(await postingsFor(t, res.body.transferId)).toBe(0);
    const sent = (await events(t, partner.id, 'partner_sepa_transfer.status')).filter((e) => e.id === res.body.transferId);
    expect(sent).toMatchObject([{ status: 'FAILED', error: { status: 'AC04' } }]);
    await expectBalanced(t);
  });

  it('rejects bad input and short funds with the documented errors; nothing moves', async () => {
    const before = await ledgerOf(t, { partnerId: partner.id });
    const available = before.eur.posted - before.eur.pending;
    const cases: [unknown, number, string][] = [
      [level1('10', { destinationIban: 'DE89 3704 0044 0532 0130 01' }), 400, 'P630'],
      [level1('10', { destinationIban: 'not-an-iban' }), 400, 'P630'],
      [level1('10.001'), 400, 'P403'],
      [level1('-1'), 400, 'P403'],
      [level1('99999999999999999999'), 400, 'P403'],
      [level1('10', { currency: 'btc' }), 400, 'P403'],
      [level1('10', { receiverFirstName: 'Anna' }), 400, 'P403'],
      [level1('10', { receiverType: 'NATURAL', receiverFirstName: 'Anna' }), 400, 'P403'],
      [level1('10', { receiverType: 'LEGAL' }), 400, 'P403'],
      [level1('10', { receiverType: 'ALIEN' }), 400, 'P403'],
      [level1('10', { transferTitle: '   ' }), 400, 'P403'],
      [{ amount: '10', currency: 'eur', destinationIban: DEST }, 400, 'P403'],
      [level1((available / 100n).toString()), 400, 'P433'], // amount fits, amount + fee does not
    ];
    for (const [body, status, code] of cases) {
      const res = await partner.call('POST', '/v1/partner/sepa-transfer', body);
      expect([res.status, res.body.errorCode], JSON.stringify(body)).toEqual([status, code]);
    }
    expect(await ledgerOf(t, { partnerId: partner.id })).toEqual(before);
  });

  it('a retried request with the same Idempotency-Key creates one transfer', async () => {
    const before = await ledgerOf(t, { partnerId: partner.id });
    const headers = { 'idempotency-key': `sepa-${Date.now()}` };
    const a = await partner.call('POST', '/v1/partner/sepa-transfer', level1('3'), headers);
    const b = await partner.call('POST', '/v1/partner/sepa-transfer', level1('3'), headers);
    expect(b.body.transferId).toBe(a.body.transferId);
    expect((await ledgerOf(t, { partnerId: partner.id })).eur.pending - before.eur.pending).toBe(400n);
    await advance(partner, 600);
  });

  it("details: unknown ids and another partner's transfers are 404 P428", async () => {
    const res = await partner.call('POST', '/v1/partner/sepa-transfer', level1('1'));
    for (const path of ['/v1/partner/sepa-transfer/details/', '/v1/sepa-transfer/details/']) {
      const foreign = await other.call('GET', path + res.body.transferId);
      expect([foreign.status, foreign.body.errorCode]).toEqual([404, 'P428']);
      const unknown = await partner.call('GET', path + '0190a0a0-0000-7000-8000-000000000000');
      expect([unknown.status, unknown.body.errorCode]).toEqual([404, 'P428']);
      const garbage = await partner.call('GET', path + 'nope');
      expect([garbage.status, garbage.body.errorCode]).toEqual([404, 'P428']);
    }
    await advance(partner, 600);
  });
});

describe('user SEPA transfers', () => {
  it("moves a user's money: held, settled, 'sepa_transfer.status' with the user, details with the user object", async () => {
    const user = await createApprovedUser(partner, { city: 'Kraków', country: 'PL' });
    await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban: await userEurIban(t, user.id), amount: '300' });
    const res = await partner.call('POST', '/v1/sepa-transfer', {
      sourceExternalUserId: user.externalUserId, currency: 'EUR', amount: '120.50', receiverType: 'NATURAL',
      receiverFirstName: 'Piotr', receiverLastName: 'Zieliński', destinationIban: 'PL27114020040000300201355387', transferTitle: 'Rent March',
    });
    expect(res.status).toBe(200);
    const id = res.body.transferId;
    expect(await ledgerOf(t, { partnerId: partner.id, userId: user.id })).toMatchObject({ eur: { posted: 30000n, pending: 12150n } });
    await advance(partner, 600);
    const details = (await partner.call('GET', `/v1/sepa-transfer/details/${id}`)).body;
    expect(details).toMatchObject({
      status: 'SUCCESSFUL', amount: '120.50', fee: 1,
      user: { externalUserId: user.externalUserId, firstName: 'Maria', lastName: 'Wiśniewska', city: 'Kraków', country: 'PL', pesel: null },
    });
    expect(await ledgerOf(t, { partnerId: partner.id, userId: user.id })).toMatchObject({ eur: { posted: 17850n, pending: 0n } });
    const sent = (await events(t, partner.id, 'sepa_transfer.status')).filter((e) => e.id === id);
    expect(sent).toMatchObject([{ status: 'SUCCESSFUL', externalUserId: user.externalUserId, user: { externalUserId: user.externalUserId } }]);
    await expectBalanced(t);
  });

  it("fails to the rejecting IBAN with the user's money returned", async () => {
    const user = await createApprovedUser(partner);
    await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban: await userEurIban(t, user.id), amount: '50' });
    const res = await partner.call('POST', '/v1/sepa-transfer', {
      sourceExternalUserId: user.externalUserId, currency: 'eur', amount: '49', destinationIban: FAILING_IBAN, transferTitle: 'x',
    });
    await advance(partner, 600);
    expect((await partner.call('GET', `/v1/sepa-transfer/details/${res.body.transferId}`)).body.status).toBe('FAILED');
    expect(await ledgerOf(t, { partnerId: partner.id, userId: user.id })).toMatchObject({ eur: { posted: 5000n, pending: 0n } });
  });

  it('unknown, foreign, suspended users and short funds get their errors; nothing moves', async () => {
    const user = await createApprovedUser(partner);
    await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban: await userEurIban(t, user.id), amount: '10' });
    const body = (source: string, amount = '5') => ({ sourceExternalUserId: source, currency: 'eur', amount, destinationIban: DEST, transferTitle: 't' });
    const before = await ledgerOf(t, { partnerId: partner.id, userId: user.id });
    const unknown = await partner.call('POST', '/v1/sepa-transfer', body('nobody'));
    expect([unknown.status, unknown.body.errorCode]).toEqual([400, 'P412']);
    const foreign = await other.call('POST', '/v1/sepa-transfer', body(user.externalUserId));
    expect([foreign.status, foreign.body.errorCode]).toEqual([400, 'P412']);
    const short = await partner.call('POST', '/v1/sepa-transfer', body(user.externalUserId, '9.01'));
    expect([short.status, short.body.errorCode]).toEqual([400, 'P433']);
    const missing = await partner.call('POST', '/v1/sepa-transfer', { currency: 'eur', amount: '1', destinationIban: DEST, transferTitle: 't' });
    expect([missing.status, missing.body.errorCode]).toEqual([400, 'P403']);
    expect((await partner.call('PATCH', `/v1/user/suspend/${user.externalUserId}`)).status).toBe(200);
    const suspended = await partner.call('POST', '/v1/sepa-transfer', body(user.externalUserId));
    expect([suspended.status, suspended.body.errorCode]).toEqual([400, 'P455']);
    expect(await ledgerOf(t, { partnerId: partner.id, userId: user.id })).toEqual(before);
  });
});
