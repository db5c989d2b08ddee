import type { Queryable } from '../../kernel/db.js';
import type { CurrencyCode, NetworkCode } from '../../kernel/currencies.js';

/**
 * Hooks the crypto rail calls for deposits to an order's address (contract between the orders
 * module and the crypto-deposit lifecycle). The orders module implements them.
 */

/** The open order whose deposit address this is, if any. */
export async function findOrderForDeposit(
  _q: Queryable,
  _partnerId: string,
  _network: NetworkCode,
  _address: string,
): Promise<{ orderId: string; currency: CurrencyCode } | undefined> {
  return undefined;
}

/**
 * A payment to an order's address was seen (`final` false, confirmations counting up) or became
 * final (`final` true: the orders module then converts it and credits EUR to the partner).
 * Called inside the deposit's transaction; the crypto rail does not credit any balance itself.
 */
export async function recordOrderPayment(
  _q: Queryable,
  _orderId: string,
  _payment: { cryptoDepositId: string; amount: bigint; confirmations: number; final: boolean; now: Date },
): Promise<void> {}
