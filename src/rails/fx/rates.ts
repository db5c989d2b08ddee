import { Decimal } from 'decimal.js';
import type { CurrencyCode } from '../../kernel/currencies.js';

/**
 * FX rate source: the EUR value of one unit of each currency. The default is a simulator that
 * starts from the rates in P100's balance examples; a real feed implements the same interface.
 */
export interface RateSource {
  /** EUR per one unit of `currency` at `at` (mid-market, no spread). */
  eurValue(currency: CurrencyCode, at: Date): Decimal;
}

export const BASE_EUR_RATES: Record<CurrencyCode, string> = {
  eur: '1',
  btc: '101464.26399862',
  eth: '3739.63838808',
  ltc: '102.49595319',
  doge: '0.2180131',
  pol: '0.20626987',
  usdc: '0.850897',
  usdt: '0.850897',
};

export const fixedRates = (rates: Record<CurrencyCode, string> = BASE_EUR_RATES): RateSource => ({
  eurValue: (currency) => new Decimal(rates[currency]),
});

let current: RateSource = fixedRates();

/** The rate source in use (the exchange module may install a moving simulator). */
export const rates = (): RateSource => current;
export const setRateSource = (source: RateSource): void => {
  current = source;
};
