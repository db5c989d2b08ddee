import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { BASE_EUR_RATES, simulatedRates } from '../../src/rails/fx/rates.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { advance, amounts, fund } from '../support/balances.js';

describe('FX rate simulator', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1) + minute * 60_000);

  it('is deterministic for a seed and minute, moves slowly, and stays near the base rates', () => {
    const a = simulatedRates('seed-1');
    const b = simulatedRates('seed-1');
    const c = simulatedRates('seed-2');
    let differs = false;
    for (let minute = 0; minute < 1440; minute += 7) {
      for (const currency of ['btc', 'eth', 'doge', 'usdc'] as const) {
        const value = a.eurValue(currency, at(minute));
        expect(value.eq(b.eurValue(currency, at(minute)))).toBe(true);
        expect(a.eurValue(currency, new Date(at(minute).getTime() + 59_000)).eq(value)).toBe(true); // same minute
        if (!value.eq(c.eurValue(currency, at(minute)))) differs = true;
        const drift = value.div(BASE_EUR_RATES[currency]).sub(1).abs();
        expect(drift.lte(currency === 'usdc' ? '0.0021' : '0.0806')).toBe(true);
        // One minute later moves at most ~0.25 %.
        expect(a.eurValue(currency, at(minute + 1)).div(value).sub(1).abs().lt('0.0025')).toBe(true);
      }
      expect(a.eurValue('eur', at(minute)).eq(1)).toBe(true);
    }
    expect(differs).toBe(true);
    expect(a.eurValue('btc', at(0))).toBeInstanceOf(Decimal);
  });

  it('validates its settings', () => {
    expect(loadConfig({ CENTUM_SECRET_KEY: 'x' }).fx).toEqual({ mode: 'simulated', seed: 'centum', feePercent: '1.49' });
    expect(loadConfig({ CENTUM_SECRET_KEY: 'x', CENTUM_FX_MODE: 'fixed', CENTUM_FX_FEE_PERCENT: '0.5', CENTUM_FX_SEED: 's' }).fx)
      .toEqual({ mode: 'fixed', seed: 's', feePercent: '0.5' });
    for (const env of [{ CENTUM_FX_MODE: 'live' }, { CENTUM_FX_FEE_PERCENT: '-1' }, { CENTUM_FX_FEE_PERCENT: '60' }, { CENTUM_FX_FEE_PERCENT: 'abc' }]) {
      expect(() => loadConfig({ CENTUM_SECRET_KEY: 'x', ...env })).toThrow(ConfigError);
    }
  });
});

describe('exchange with moving rates', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CENTUM_FX_MODE: 'simulated', CENTUM_FX_SEED: 'test', CENTUM_FX_FEE_PERCENT: '2' });
  });
  afterAll(() => t.close());

  it('executes exactly the locked amounts even after the rate moved', async () => {
    const p = await t.createPartner('Moving');
    await fund(p, 'eur', '500.00');
    const lock = (await p.call('GET', '/v1/partner/exchange/get-lock?currencyFrom=eur&currencyTo=btc&amount=250')).body;
    expect(lock.fee).toBe('5.00'); // 2 % from CENTUM_FX_FEE_PERCENT
    expect(lock.feePercentage).toBe(2);
    await advance(p, 35);
    const res = await p.call('POST', '/v1/partner/exchange', { amount: '250', currencyFrom: 'eur', currencyTo: 'btc', lockId: lock.lockId });
    expect(res.status).toBe(200);
    expect(await amounts(p)).toMatchObject({ eur: '250.00', btc: lock.amountTo });
    // Six hours later the quote for the same amount differs (the simulator moved).
    await advance(p, 6 * 3600);
    const later = (await p.call('GET', '/v1/partner/exchange/rate?currencyFrom=eur&currencyTo=btc&amount=250')).body;
    expect(later.rate).not.toBe(lock.rate);
  });
});
