import { createHash } from 'node:crypto';
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

/** Largest swing from the base rate, in basis points (stablecoins barely move). */
const AMPLITUDE_BP: Record<CurrencyCode, number> = { eur: 0, btc: 300, eth: 400, ltc: 500, doge: 800, pol: 700, usdc: 15, usdt: 15 };
const PERIOD_MINUTES = 720;

const hashInt = (text: string): number => createHash('sha256').update(text).digest().readUInt32BE(0);

/**
 * Moving simulator: per currency and per minute of (simulated) time, a slow triangle wave around
 * the base rate (period 12 h, phase from the seed) plus a small seeded jitter. Integer arithmetic
 * and a hash only, so the same seed and minute give the same rate on every machine.
 */
export function simulatedRates(seed: string, base: Record<CurrencyCode, string> = BASE_EUR_RATES): RateSource {
  const phases = new Map<CurrencyCode, number>();
  const phaseOf = (currency: CurrencyCode) => {
    let phase = phases.get(currency);
    if (phase === undefined) phases.set(currency, (phase = hashInt(`${seed}:${currency}`) % PERIOD_MINUTES));
    return phase;
  };
  return {
    eurValue(currency, at) {
      const amplitude = AMPLITUDE_BP[currency];
      if (amplitude === 0) return new Decimal(base[currency]);
      const minute = Math.floor(at.getTime() / 60_000);
      const position = (((minute + phaseOf(currency)) % PERIOD_MINUTES) + PERIOD_MINUTES) % PERIOD_MINUTES;
      // Triangle wave from -amplitude to +amplitude (basis points, integers).
      const half = PERIOD_MINUTES / 2;
      const wave = Math.round((Math.abs(position - half) * 2 * amplitude) / half) - amplitude;
      const jitter = (hashInt(`${seed}:${currency}:${minute}`) % 11) - 5;
      return new Decimal(base[currency]).mul(new Decimal(10_000 + wave + jitter).div(10_000));
    },
  };
}

type FxSettings = { mode: 'simulated' | 'fixed'; seed: string; feePercent: string };

/** The FX rail of an app: where rates come from, and the exchange fee as a fraction (1.49 % -> 0.0149). */
export interface Fx {
  rates: RateSource;
  feeFraction: Decimal;
}

/** The FX rail the settings (CENTUM_FX_MODE, _SEED, _FEE_PERCENT) describe. */
export function createFx(settings: FxSettings): Fx {
  return {
    rates: settings.mode === 'fixed' ? fixedRates() : simulatedRates(settings.seed),
    feeFraction: new Decimal(settings.feePercent).div(100),
  };
}
