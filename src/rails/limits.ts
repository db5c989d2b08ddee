import { validationError } from '../kernel/errors.js';
import { parseAmount } from '../kernel/money.js';

/**
 * Largest amount one rail operation accepts, in minor units (10^15: 10 trillion EUR, 10 million
 * BTC). Far below the int8 range, so sums of fees and balances can never overflow a column.
 */
export const MAX_RAIL_AMOUNT_MINOR = 10n ** 15n;

/** parseAmount plus the rail ceiling: P403 rather than a database overflow. */
export function parseRailAmount(value: unknown, scale: number, field = 'amount'): bigint {
  const amount = parseAmount(value, scale, field);
  if (amount > MAX_RAIL_AMOUNT_MINOR) throw validationError(`${field} is too large`);
  return amount;
}
