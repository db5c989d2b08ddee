import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { amounts, balances } from '../support/balances.js';

let t: TestApp;
let partner: TestPartner;
let other: TestPartner;

beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner('Funded');
  other = await t.createPartner('Other');
});
afterAll(() => t.close());

describe('sandbox funding', () => {
  it('credits the EUR balance that owns the IBAN, exactly', async () => {
    const { fiatBalances } = await balances(partner);
    const res = await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban: fiatBalances[0].iban, amount: '100.10', senderName: 'Jane Doe' });
    expect(res.status).toBe(201);
    await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban: fiatBalances[0].iban, amount: 0.2 });
    expect((await balances(partner)).fiatBalances[0].amount).toBe('100.30');
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('credits the crypto balance that owns the address', async () => {
    const usdc = (await balances(partner)).cryptoBalances.find((b: any) => b.name === 'usdc');
    const res = await partner.call('POST', '/v1/sandbox/crypto-deposit', { address: usdc.wallet, currency: 'USDC', network: 'polygon', amount: '12.345678' });
    expect(res.status).toBe(201);
    await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 3600 }); // deposits confirm with the clock
    const after = (await balances(partner)).cryptoBalances.find((b: any) => b.name === 'usdc');
    expect(after.amount).toBe('12.345678');
  });

  it('rejects bad input with the documented errors and moves nothing', async () => {
    const before = await amounts(partner);
    const iban = (await balances(partner)).fiatBalances[0].iban;
    const cases: [unknown, number, string][] = [
      [{ iban, amount: '1.001' }, 400, 'P403'],
      [{ iban, amount: '-5' }, 400, 'P403'],
      [{ iban, amount: 'ten' }, 400, 'P403'],
      [{ iban: 'LT00 not an iban', amount: '1' }, 400, 'P630'],
      [{ amount: '1' }, 400, 'P403'],
    ];
    for (const [body, status, code] of cases) {
      const res = await partner.call('POST', '/v1/sandbox/sepa-deposit', body);
      expect([res.status, res.body.errorCode]).toEqual([status, code]);
    }
    expect(await amounts(partner)).toEqual(before);
  });

  it("cannot credit another partner's IBAN or address", async () => {
    const theirs = await balances(other);
    const theirAmounts = await amounts(other);
    const sepa = await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban: theirs.fiatBalances[0].iban, amount: '5' });
    expect([sepa.status, sepa.body.errorCode]).toEqual([404, 'P613']);
    const btc = theirs.cryptoBalances.find((b: any) => b.name === 'btc');
    const crypto = await partner.call('POST', '/v1/sandbox/crypto-deposit', { address: btc.wallet, currency: 'btc', amount: '0.1' });
    expect([crypto.status, crypto.body.errorCode]).toEqual([404, 'P613']);
    expect(await amounts(other)).toEqual(theirAmounts);
  });
});
