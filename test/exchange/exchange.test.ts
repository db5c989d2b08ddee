import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { advance, amounts, expectError, fund } from '../support/balances.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed', CENTUM_TRAVEL_RULE_THRESHOLD_EUR: '100000000' });
});
afterAll(() => t.close());

const lockQuery = (from: string, to: string, amount: string) =>
  `currencyFrom=${from}&currencyTo=${to}&amount=${encodeURIComponent(amount)}`;

async function getLock(p: TestPartner, from: string, to: string, amount: string) {
  const res = await p.call('GET', `/v1/partner/exchange/get-lock?${lockQuery(from, to, amount)}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function exchange(p: TestPartner, from: string, to: string, amount: string) {
  const lock = await getLock(p, from, to, amount);
  const res = await p.call('POST', '/v1/partner/exchange', { amount, currencyFrom: from, currencyTo: to, lockId: lock.lockId });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { lock, exchangeId: res.body.exchangeId as string };
}

const SCALES: Record<string, number> = { eur: 2, btc: 8, eth: 8, ltc: 8, doge: 8, pol: 8, usdc: 6, usdt: 6 };
const EUR: Record<string, string> = {
  eur: '1', btc: '101464.26399862', eth: '3739.63838808', ltc: '102.49595319',
  doge: '0.2180131', pol: '0.20626987', usdc: '0.850897', usdt: '0.850897',
};
const D = Decimal.clone({ precision: 60 });
/** Independent model of the documented rule (decimal arithmetic, not the server's integer code). */
function expected(from: string, to: string, amount: string) {
  const rate = new D(EUR[from]).div(EUR[to]).toSignificantDigits(12, Decimal.ROUND_DOWN);
  const fee = new D(amount).mul('0.0149').toDecimalPlaces(SCALES[from], Decimal.ROUND_UP);
  const amountTo = new D(amount).sub(fee).mul(rate).toDecimalPlaces(SCALES[to], Decimal.ROUND_DOWN);
  return { rate: Number(rate.toString()), fee: fee.toFixed(SCALES[from]), amountTo: amountTo.toFixed(SCALES[to]) };
}

describe('exchange (fixed rates, fee 1.49 %)', () => {
  it('matches hand-computed amounts at scales 2, 6 and 8, and moves exactly those', async () => {
    const p = await t.createPartner('Hand computed');
    // [from, to, amount, rate, fee, amountTo], computed by hand from BASE_EUR_RATES:
    // rate = eurValue(from) / eurValue(to) cut to 12 significant digits; fee = amount * 1.49 % rounded up;
    // amountTo = (amount - fee) * rate rounded down to the scale of `to`.
    const cases: [string, string, string, number, string, string][] = [
      ['eur', 'doge', '100.00', 4.58688032966, '1.49', '451.85358127'],
      ['btc', 'eur', '0.00300000', 101464.263998, '0.00004470', '299.85'],
      ['usdc', 'eth', '1000.000000', 0.000227534566634, '14.900000', '0.22414430'],
      ['eth', 'usdt', '0.50000000', 4394.93662344, '0.00745000', '2164.726033'],
      ['eur', 'usdc', '250.00', 1.17523037453, '3.73', '289.423984'],
      ['usdt', 'eur', '99.999999', 0.850897, '1.490000', '83.82'],
      ['doge', 'btc', '12345.67890000', 0.00000214866881607, '183.95061561', '0.02613152'],
      ['ltc', 'pol', '3.21000000', 496.902204815, '0.04782900', '1571.28974190'],
    ];
    for (const [from, to, amount, rate, fee, amountTo] of cases) {
      await fund(p, from, amount);
      const before = await amounts(p);
      const { lock, exchangeId } = await exchange(p, from, to, amount);
      expect(lock).toMatchObject({ rate, fee, amountFrom: amount, amountTo, currencyFrom: from, currencyTo: to, feeCurrency: from, feePercentage: 1.49 });
      const after = await amounts(p);
      expect(new Decimal(before[from]).sub(after[from]).toFixed(SCALES[from])).toBe(amount);
      expect(new Decimal(after[to]).sub(before[to]).toFixed(SCALES[to])).toBe(amountTo);
      const details = await p.call('GET', `/v1/partner/exchange/details/${exchangeId}`);
      expect(details.status).toBe(200);
      expect(details.body).toMatchObject({ exchangeId, lockId: lock.lockId, status: 'COMPLETED', rate, fee, amountFrom: amount, amountTo, externalUserId: null });
    }
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('converts every pair of the eight currencies exactly, through EUR values', async () => {
    const p = await t.createPartner('All pairs');
    const currencies = Object.keys(SCALES);
    // Amount of each currency worth about 20 EUR, written at the currency's scale.
    const amountOf = (c: string) => new D(20).div(EUR[c]).toDecimalPlaces(SCALES[c], Decimal.ROUND_DOWN).toFixed(SCALES[c]);
    const delta: Record<string, Decimal> = Object.fromEntries(currencies.map((c) => [c, new D(0)]));
    for (const c of currencies) await fund(p, c, new D(amountOf(c)).mul(7).toFixed(SCALES[c]));
    const start = await amounts(p);
    for (const from of currencies) {
      for (const to of currencies) {
        if (from === to) continue;
        const amount = amountOf(from);
        const want = expected(from, to, amount);
        const { lock } = await exchange(p, from, to, amount);
        expect([lock.rate, lock.fee, lock.amountTo], `${from}->${to}`).toEqual([want.rate, want.fee, want.amountTo]);
        delta[from] = delta[from].sub(amount);
        delta[to] = delta[to].add(want.amountTo);
      }
    }
    const end = await amounts(p);
    for (const c of currencies) expect(end[c], c).toBe(new D(start[c]).add(delta[c]).toFixed(SCALES[c]));
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('honours a lock within 40 seconds of sandbox time and refuses it after', async () => {
    const p = await t.createPartner('Expiry');
    await fund(p, 'eur', '50.00');
    const fresh = await getLock(p, 'eur', 'btc', '10.00');
    expect(new Date(fresh.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(41_000);
    await advance(p, 30);
    const ok = await p.call('POST', '/v1/partner/exchange', { amount: 10, currencyFrom: 'eur', currencyTo: 'btc', lockId: fresh.lockId });
    expect(ok.status).toBe(200);

    const stale = await getLock(p, 'eur', 'btc', '10.00');
    await advance(p, 41);
    const before = await amounts(p);
    const res = await p.call('POST', '/v1/partner/exchange', { amount: '10.00', currencyFrom: 'eur', currencyTo: 'btc', lockId: stale.lockId });
    expectError(res, 400, 'P621');
    expect(await amounts(p)).toEqual(before);
  });

  it('refuses bad input, used, foreign and mismatched locks with documented errors, moving nothing', async () => {
    const p = await t.createPartner('Errors');
    const other = await t.createPartner('Errors, other');
    await fund(p, 'eur', '20.00');
    const used = await getLock(p, 'eur', 'eth', '5.00');
    expect((await p.call('POST', '/v1/partner/exchange', { amount: 5, currencyFrom: 'eur', currencyTo: 'eth', lockId: used.lockId })).status).toBe(200);
    const lock = await getLock(p, 'eur', 'eth', '5.00');
    const big = await getLock(p, 'eur', 'eth', '500.00');
    const theirs = await getLock(other, 'eur', 'eth', '5.00');
    const before = await amounts(p);
    const body = { amount: '5.00', currencyFrom: 'eur', currencyTo: 'eth', lockId: lock.lockId };
    const cases: [unknown, number, string][] = [
      [{ ...body, lockId: used.lockId }, 400, 'P622'],
      [{ ...body, lockId: theirs.lockId }, 404, 'P620'],
      [{ ...body, lockId: '0190a0a0-0000-7000-8000-000000000000' }, 404, 'P620'],
      [{ ...body, amount: '5.01' }, 400, 'P627'],
      [{ ...body, currencyTo: 'btc' }, 400, 'P627'],
      [{ ...body, currencyTo: 'eur' }, 400, 'P623'],
      [{ ...body, currencyTo: 'xrp' }, 400, 'P623'],
      [{ ...body, lockId: big.lockId, amount: '500.00' }, 400, 'P433'],
      [{ amount: '5.00', currencyFrom: 'eur', currencyTo: 'eth' }, 400, 'P403'],
      [{ ...body, lockId: 'not-a-uuid' }, 400, 'P403'],
      [{ ...body, amount: '5.001' }, 400, 'P403'],
      [{ ...body, amount: -5 }, 400, 'P403'],
      [{ ...body, amount: 'five' }, 400, 'P403'],
      [{ ...body, extra: 1 }, 400, 'P403'],
    ];
    for (const [b, status, code] of cases) {
      expectError(await p.call('POST', '/v1/partner/exchange', b), status, code);
    }
    const lockErrors: [string, number, string][] = [
      [lockQuery('eur', 'eur', '5'), 400, 'P623'],
      [lockQuery('eur', 'abc', '5'), 400, 'P623'],
      [lockQuery('eur', 'btc', '0.99'), 400, 'P615'],
      [lockQuery('doge', 'btc', '4.5'), 400, 'P615'],
      [lockQuery('eur', 'btc', '1.001'), 400, 'P403'],
      [lockQuery('eur', 'btc', '0'), 400, 'P403'],
      ['currencyFrom=eur&currencyTo=btc', 400, 'P403'],
    ];
    for (const [query, status, code] of lockErrors) {
      expectError(await p.call('GET', `/v1/partner/exchange/get-lock?${query}`), status, code);
    }
    expect(await amounts(p)).toEqual(before);
    // The lock is still good after all that.
    expect((await p.call('POST', '/v1/partner/exchange', body)).status).toBe(200);
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('quotes an indicative rate without creating a lock', async () => {
    const p = await t.createPartner('Rate');
    const res = await p.call('GET', `/v1/partner/exchange/rate?${lockQuery('BTC', 'EUR', '0.003')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      rate: 101464.263998, amountFrom: '0.00300000', amountTo: '299.85', fee: '0.00004470', feeCurrency: 'btc',
      feePercentage: 1.49, currencyFrom: 'btc', currencyTo: 'eur',
    });
    const user = await p.call('GET', `/v1/exchange/rate?${lockQuery('eur', 'doge', '100')}`);
    expect(user.body).toMatchObject({ rate: 4.58688032966, amountTo: '451.85358127' });
  });

  it("hides another partner's exchange and reports the exchange event", async () => {
    const p = await t.createPartner('Owner');
    const other = await t.createPartner('Snoop');
    await fund(p, 'eur', '10.00');
    const { exchangeId } = await exchange(p, 'eur', 'usdt', '10.00');
    expectError(await other.call('GET', `/v1/partner/exchange/details/${exchangeId}`), 404, 'P624');
    expectError(await p.call('GET', `/v1/exchange/details/${exchangeId}`), 404, 'P624');
    expectError(await p.call('GET', '/v1/partner/exchange/details/not-a-uuid'), 404, 'P624');
    const events = await t.db.query<{ type: string; path: string; payload: any }>('SELECT type, path, payload FROM events WHERE partner_id = $1', [p.id]);
    const event = events.find((e) => e.type === 'exchange.status');
    expect(event?.path).toBe('/webhook/exchange/status');
    expect(event?.payload).toMatchObject({ id: exchangeId, exchangeId, status: 'COMPLETED', currencyFrom: 'eur', currencyTo: 'usdt', amountFrom: '10.00', amount: 10 });
  });

  it('moves money once for a retried request with the same Idempotency-Key', async () => {
    const p = await t.createPartner('Retry');
    await fund(p, 'eur', '30.00');
    const lock = await getLock(p, 'eur', 'ltc', '10.00');
    const body = { amount: '10.00', currencyFrom: 'eur', currencyTo: 'ltc', lockId: lock.lockId };
    const first = await p.call('POST', '/v1/partner/exchange', body, { 'idempotency-key': 'ex-1' });
    const second = await p.call('POST', '/v1/partner/exchange', body, { 'idempotency-key': 'ex-1' });
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect((await amounts(p)).eur).toBe('20.00');
    // Without the key, the used lock refuses a second execution.
    expectError(await p.call('POST', '/v1/partner/exchange', body), 400, 'P622');
    expect((await amounts(p)).eur).toBe('20.00');
  });

  it('never overdraws with 200 concurrent exchanges from one balance', async () => {
    const p = await t.createPartner('Concurrent');
    await fund(p, 'eur', '150.00');
    // Locks are taken in parallel batches so all 200 are still fresh (40 s) when used.
    const locks = [];
    for (let batch = 0; batch < 4; batch++) {
      locks.push(...(await Promise.all(Array.from({ length: 50 }, () => getLock(p, 'eur', 'usdc', '1.00')))));
    }
    const results = await Promise.all(
      locks.map((l) => p.call('POST', '/v1/partner/exchange', { amount: '1.00', currencyFrom: 'eur', currencyTo: 'usdc', lockId: l.lockId })),
    );
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBe(150);
    expect(results.filter((r) => r.body?.errorCode === 'P433').length).toBe(50);
    const end = await amounts(p);
    expect(end.eur).toBe('0.00');
    expect(end.usdc).toBe(new Decimal(expected('eur', 'usdc', '1.00').amountTo).mul(150).toFixed(6));
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });
});
