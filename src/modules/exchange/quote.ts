import { Decimal } from 'decimal.js';
import { CURRENCIES, type CurrencyCode } from '../../kernel/currencies.js';
import { ApiError } from '../../kernel/errors.js';
import { convertDown, pow10, RATE_DIGITS } from '../../money/arithmetic.js';
import { exchangeFeeOf } from '../../money/fees.js';
import type { Fx, RateSource } from '../../rails/fx/rates.js';

/**
 * Exchange quotes. Everything that decides an amount is integer (bigint) math on minor units and
 * on rates written as exact decimals (src/money/arithmetic.ts), so a quote is reproduced exactly
 * when it is executed. Rounding always favours the house: the fee rounds up (src/money/fees.ts),
 * the amount received rounds down.
 */

/** Smallest exchange: the equivalent of 1 EUR of `currencyFrom` at the mid rate. */
export const MIN_EXCHANGE_EUR = new Decimal(1);

export { RATE_DIGITS } from '../../money/arithmetic.js';

/** Units of `to` per unit of `from` at the mid rate, rounded down to RATE_DIGITS significant digits. */
export function midRate(source: RateSource, from: CurrencyCode, to: CurrencyCode, at: Date): Decimal {
  const high = Decimal.clone({ precision: 40 });
  const ratio = new high(source.eurValue(from, at).toString()).div(source.eurValue(to, at).toString());
  return new Decimal(ratio.toSignificantDigits(RATE_DIGITS, Decimal.ROUND_DOWN).toString());
}

export interface ExchangeQuote {
  currencyFrom: CurrencyCode;
  currencyTo: CurrencyCode;
  amountFrom: bigint;
  /** Fee in `currencyFrom`, taken before conversion. */
  fee: bigint;
  amountTo: bigint;
  rate: Decimal;
  feeFraction: Decimal;
}

/** Quote for converting `amountFrom` (minor units): fee = ceil(amount * fee%), amountTo = floor((amount - fee) * rate). */
export function quoteExchange(
  fx: Fx, { currencyFrom, currencyTo, amountFrom, at }: { currencyFrom: CurrencyCode; currencyTo: CurrencyCode; amountFrom: bigint; at: Date },
): ExchangeQuote {
  if (currencyFrom === currencyTo) throw new ApiError('P623', 'currencyFrom and currencyTo must differ');
  const from = CURRENCIES[currencyFrom];
  const to = CURRENCIES[currencyTo];
  const eurValue = new Decimal(amountFrom.toString()).div(pow10(from.scale).toString()).mul(fx.rates.eurValue(currencyFrom, at));
  if (eurValue.lt(MIN_EXCHANGE_EUR)) {
    throw new ApiError('P615', `Minimum exchange is the equivalent of ${MIN_EXCHANGE_EUR.toFixed(2)} EUR`);
  }
  const rate = midRate(fx.rates, currencyFrom, currencyTo, at);
  const { feeFraction } = fx;
  const fee = exchangeFeeOf(amountFrom, { feeFraction });
  const amountTo = convertDown(amountFrom - fee, from.scale, rate, to.scale);
  if (amountTo <= 0n) throw new ApiError('P615', 'Amount is too small to convert');
  return { currencyFrom, currencyTo, amountFrom, fee, amountTo, rate, feeFraction };
}
