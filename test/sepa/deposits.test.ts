import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { advance, balances } from '../support/balances.js';
import { createApprovedUser, createKycUser } from '../support/users.js';
import { events, expectBalanced, ledgerOf, postingsFor, userEurIban } from '../support/ledger.js';

let t: TestApp;
let partner: TestPartner;
let other: TestPartner;

beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner('Deposits');
  other = await t.createPartner('Other');
});
afterAll(() => t.close());

const SENDER_IBAN = 'DE89370400440532013000';

describe('SEPA deposit info', () => {
  it('gives the partner its IBAN, BIC, bank, holder and reference', async () => {
    const res = await partner.call('GET', '/v1/partner/sepa-deposit/info');
    expect(res.status).toBe(200);
    const eur = (await balances(partner)).fiatBalances[0];
    expect(res.body).toMatchObject({ title: eur.id, iban: eur.iban, swift: 'CNTMLT21XXX', bankName: 'Centum Sandbox Bank', accountHolder: 'Deposits' });
    expect(typeof res.body.address).toBe('string');
  });

  it("gives a user's IBAN in the user's name; unknown or other partners' users are P412", async () => {
    const user = await createApprovedUser(partner, { firstName: 'Anna', lastName: 'Nowak' });
    const res = await partner.call('GET', `/v1/sepa-deposit/info/${user.externalUserId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ iban: await userEurIban(t, user.id), accountHolder: 'Anna Nowak', swift: 'CNTMLT21XXX' });
    const unknown = await partner.call('GET', '/v1/sepa-deposit/info/nobody');
    expect([unknown.status, unknown.body.errorCode]).toEqual([400, 'P412']);
    const foreign = await other.call('GET', `/v1/sepa-deposit/info/${user.externalUserId}`);
    expect([foreign.status, foreign.body.errorCode]).toEqual([400, 'P412']);
    // A KYC user whose EUR balance waits for activation has no IBAN yet.
    const waiting = await createKycUser(partner, undefined, false);
    const inactive = await partner.call('GET', `/v1/sepa-deposit/info/${waiting.externalUserId}`);
    expect([inactive.status, inactive.body.errorCode]).toEqual([400, 'P612']);
  });
});

describe('incoming SEPA deposits', () => {
  it('credits a partner IBAN at once, whoever sends, and reports APPROVED', async () => {
    const iban = (await balances(partner)).fiatBalances[0].iban;
    const res = await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '10.05', senderName: 'Someone Else', senderIban: SENDER_IBAN, reference: 'x' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'APPROVED', amount: '10.05', iban });
    expect((await ledgerOf(t, { partnerId: partner.id })).eur.posted).toBe(1005n);
    const sent = (await events(t, partner.id, 'sepa_deposit.status')).filter((e) => e.id === res.body.depositId);
    expect(sent).toMatchObject([{ status: 'APPROVED', amount: '10.05', currency: 'eur', externalUserId: null, senderIban: SENDER_IBAN }]);
    const contacts = await partner.call('GET', '/v1/partner/sepa-deposit/contacts');
    expect(contacts.body.contacts.map((c: any) => c.iban)).toContain(SENDER_IBAN);
  });

  it("approves a user's deposit when the sender name matches (any case, accents, order) or is omitted", async () => {
    const user = await createApprovedUser(partner);
    const iban = await userEurIban(t, user.id);
    const a = await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: 20, senderName: 'WISNIEWSKA maria', senderIban: 'PL27114020040000300201355387' });
    const b = await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '0.5' });
    expect([a.body.status, b.body.status]).toEqual(['APPROVED', 'APPROVED']);
    expect((await ledgerOf(t, { partnerId: partner.id, userId: user.id })).eur.posted).toBe(2050n);
    const contacts = await partner.call('GET', `/v1/sepa-deposit/contacts/${user.externalUserId}`);
    expect(contacts.body).toMatchObject({ contacts: [{ iban: 'PL27114020040000300201355387', name: 'WISNIEWSKA maria' }], nextCursor: null });
    await expectBalanced(t);
  });

  it('holds a partly matching name PENDING, then approves and credits it after review', async () => {
    const user = await createApprovedUser(partner);
    const iban = await userEurIban(t, user.id);
    const res = await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '33.33', senderName: 'Jan Wisniewska', senderIban: SENDER_IBAN });
    expect(res.body.status).toBe('PENDING');
    expect((await ledgerOf(t, { partnerId: partner.id, userId: user.id })).eur.posted).toBe(0n);
    await advance(partner, 3600);
    expect((await ledgerOf(t, { partnerId: partner.id, userId: user.id })).eur.posted).toBe(3333n);
    const sent = (await events(t, partner.id, 'sepa_deposit.status')).filter((e) => e.id === res.body.depositId);
    expect(sent.map((e) => e.status)).toEqual(['PENDING', 'APPROVED']);
    expect(sent[1].externalUserId).toBe(user.externalUserId);
    expect(await postingsFor(t, res.body.depositId)).toBe(1);
  });

  it('rejects a clear name mismatch after review: refunded to the sender, nothing credited, no contact', async () => {
    const user = await createApprovedUser(partner);
    const iban = await userEurIban(t, user.id);
    const res = await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '99', senderName: 'John Smith', senderIban: SENDER_IBAN });
    expect(res.body.status).toBe('PENDING');
    await advance(partner, 3600);
    await advance(partner, 3600);
    expect((await ledgerOf(t, { partnerId: partner.id, userId: user.id })).eur).toEqual({ posted: 0n, pending: 0n });
    const sent = (await events(t, partner.id, 'sepa_deposit.status')).filter((e) => e.id === res.body.depositId);
    expect(sent.map((e) => e.status)).toEqual(['PENDING', 'REJECTED']);
    expect(await postingsFor(t, res.body.depositId)).toBe(0);
    const contacts = await partner.call('GET', `/v1/sepa-deposit/contacts/${user.externalUserId}`);
    expect(contacts.body.contacts).toEqual([]);
    await expectBalanced(t);
  });

  it('rejects bad input with the documented errors and moves nothing', async () => {
    const iban = (await balances(partner)).fiatBalances[0].iban;
    const before = await ledgerOf(t, { partnerId: partner.id });
    const cases: [unknown, number, string][] = [
      [{ iban, amount: '1.001' }, 400, 'P403'],
      [{ iban, amount: '-5' }, 400, 'P403'],
      [{ iban, amount: 0 }, 400, 'P403'],
      [{ iban, amount: 'ten' }, 400, 'P403'],
      [{ iban, amount: '99999999999999999999' }, 400, 'P403'],
      [{ iban: 'LT00 not an iban', amount: '1' }, 400, 'P630'],
      [{ iban: iban.slice(0, -1) + ((Number(iban.slice(-1)) + 1) % 10), amount: '1' }, 400, 'P630'],
      [{ iban, amount: '1', senderIban: 'DE00123' }, 400, 'P630'],
      [{ iban: 'DE89370400440532013000', amount: '1' }, 404, 'P613'],
      [{ amount: '1' }, 400, 'P403'],
      [{ iban, amount: '1', extra: true }, 400, 'P403'],
    ];
    for (const [body, status, code] of cases) {
      const res = await partner.call('POST', '/v1/sandbox/sepa-deposit', body);
      expect([res.status, res.body.errorCode], JSON.stringify(body)).toEqual([status, code]);
    }
    expect(await ledgerOf(t, { partnerId: partner.id })).toEqual(before);
  });

  it("cannot credit another partner's IBAN; contact lists are per partner and paged", async () => {
    const theirIban = (await balances(other)).fiatBalances[0].iban;
    const res = await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban: theirIban, amount: '5' });
    expect([res.status, res.body.errorCode]).toEqual([404, 'P613']);
    expect((await ledgerOf(t, { partnerId: other.id })).eur.posted).toBe(0n);
    expect((await other.call('GET', '/v1/partner/sepa-deposit/contacts')).body.contacts).toEqual([]);
    const user = await createApprovedUser(partner);
    const theirUser = await other.call('GET', `/v1/sepa-deposit/contacts/${user.externalUserId}`);
    expect([theirUser.status, theirUser.body.errorCode]).toEqual([400, 'P412']);

    const mine = (await balances(partner)).fiatBalances[0].iban;
    await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban: mine, amount: '1', senderName: 'B', senderIban: 'FR1420041010050500013M02606' });
    const page1 = await partner.call('GET', '/v1/partner/sepa-deposit/contacts?limit=1');
    expect(page1.body.contacts).toHaveLength(1);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await partner.call('GET', `/v1/partner/sepa-deposit/contacts?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.contacts).toHaveLength(1);
    expect(page2.body.contacts[0].iban).not.toBe(page1.body.contacts[0].iban);
    const bad = await partner.call('GET', '/v1/partner/sepa-deposit/contacts?cursor=garbage');
    expect([bad.status, bad.body.errorCode]).toEqual([400, 'P403']);
  });
});
