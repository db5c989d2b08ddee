import { Decimal } from '../kernel/money.js';

/**
 * Integer arithmetic on minor units (bigint) and on rates and fractions written as exact decimals.
 * Whatever decides an amount goes through here, so a quote is reproduced exactly when it is
 * executed. Amounts are never negative here. Rounding is named by each function; the caller picks
 * the direction that favours the house.
 */

/** Significant digits a quoted rate keeps (rounded down); a JSON number carries them exactly. */
export const RATE_DIGITS = 12;

/** An exact decimal as an integer numerator over 10^exponent. */
interface Fixed {
  units: bigint;
  exponent: number;
}

export function toFixedParts(value: Decimal | string): Fixed {
  const text = new Decimal(value).toFixed();
  const [whole, fraction = ''] = text.split('.');
  return { units: BigInt(whole + fraction), exponent: fraction.length };
}

export const pow10 = (n: number): bigint => 10n ** BigInt(n);
const divFloor = (a: bigint, b: bigint): bigint => a / b; // operands are never negative here
const divCeil = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** minor(fromScale) * rate -> minor(toScale), rounded down. */
export function convertDown(amount: bigint, fromScale: number, rate: Decimal | string, toScale: number): bigint {
  const r = toFixedParts(rate);
  return divFloor(amount * r.units * pow10(toScale), pow10(fromScale + r.exponent));
}

/** minor(fromScale) / rate -> minor(toScale), rounded up. */
export function convertUpInverse(amount: bigint, fromScale: number, rate: Decimal | string, toScale: number): bigint {
  const r = toFixedParts(rate);
  return divCeil(amount * pow10(toScale + r.exponent), r.units * pow10(fromScale));
}

/** `fraction` of an amount, rounded up (a fee). */
export function feeOf(amount: bigint, fraction: Decimal): bigint {
  const f = toFixedParts(fraction);
  return divCeil(amount * f.units, pow10(f.exponent));
}
