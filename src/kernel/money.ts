import { Decimal } from 'decimal.js';
import { validationError } from './errors.js';

/**
 * Amounts are integers in minor units (bigint) at the currency's scale. On the wire they are
 * decimal strings (or JSON numbers in requests); a JS float never holds an amount.
 */

/** A plain decimal: digits (no leading zeros but one), an optional fraction; no sign, spaces or exponent. */
const DECIMAL = /^(0|[1-9]\d*)(?:\.(\d+))?$/;

/**
 * Largest amount one request may carry, in minor units (10^15: 10 trillion EUR, 10 million BTC).
 * Far below the int8 range, so sums of amounts, fees and balances never overflow a column.
 */
export const MAX_AMOUNT_MINOR = 10n ** 15n;

/**
 * Parses a request amount ("12.5" or 12.5) into minor units; rejects more decimals than `scale`.
 * A string must be a plain decimal as written: " 1", "01", "1e2" and "+1" are refused, not repaired.
 */
export function parseAmount(value: unknown, scale: number, field = 'amount'): bigint {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw validationError(`${field} must be a positive number`);
    text = new Decimal(value).toFixed(); // no exponent notation
  } else if (typeof value === 'string') {
    text = value;
  } else {
    throw validationError(`${field} must be a positive number`);
  }
  const match = DECIMAL.exec(text);
  if (!match) throw validationError(`${field} must be a positive decimal such as "12.50" (no spaces, sign, exponent or leading zeros)`);
  const [, whole, fraction = ''] = match;
  if (fraction.length > scale) {
    throw validationError(`${field} can have at most ${scale} decimal places`);
  }
  const minor = BigInt(whole + fraction.padEnd(scale, '0'));
  if (minor <= 0n) throw validationError(`${field} must be a positive number`);
  if (minor > MAX_AMOUNT_MINOR) throw validationError(`${field} is too large`);
  return minor;
}

/** Minor units to a fixed-scale decimal string: 1234n, 2 -> "12.34"; -5n, 2 -> "-0.05". */
export function formatAmount(minor: bigint, scale: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** A decimal string of a catalogue value ("0.0003") to minor units, exactly. */
export function toMinor(decimal: string, scale: number): bigint {
  return BigInt(new Decimal(decimal).mul(new Decimal(10).pow(scale)).toFixed(0, Decimal.ROUND_DOWN));
}

/** Minor units to a JSON number, for the fields P100 documents as numbers (fees, minimums). */
export function toNumber(minor: bigint, scale: number): number {
  return Number(formatAmount(minor, scale));
}

export function toDecimal(minor: bigint, scale: number): Decimal {
  return new Decimal(minor.toString()).div(new Decimal(10).pow(scale));
}


export { Decimal };
