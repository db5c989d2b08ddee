import { Decimal } from 'decimal.js';
import { CRYPTO_CODES, CURRENCIES, findCurrency, findNetwork, type CurrencyCode, type NetworkCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId, isUuid } from '../../kernel/ids.js';
import { parseAmount, toMinor, toNumber } from '../../kernel/money.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { OrderStatus } from '../../kernel/statuses.js';
import { findAccount, post } from '../../ledger/index.js';
import { orderQuote, orderRateOf, orderSettlement } from '../../money/fees.js';
import { orderExtraPaymentPosting, orderSettlementPosting } from '../../money/postings.js';
import { emitEvent } from '../../outbox/events.js';
import { deriveAddress, FAMILY_OF_NETWORK } from '../../rails/chains/addresses.js';
import type { Fx } from '../../rails/fx/rates.js';
import { nextAddressIndex } from '../balances/index.js';
import { checkLock, insertLock, LOCK_SECONDS, lockForUse, markLockUsed, RATE_DIGITS } from '../exchange/index.js';
import { findOrder, findOrderByAddress, insertOrder, lockOrder, updateOrder, type OrderRow } from './store.js';

/**
 * Orders: a payer sends crypto to the order's own address; when the payment is final it is
 * converted at the locked rate and the partner's EUR balance is credited, in one posting.
 *
 * WAITING_FOR_WALLET_ADDRESS -> WAITING_FOR_PAYMENT (address published, 30 min window)
 *   -> WAITING_FOR_CONFIRMATION (payment seen) -> COMPLETED (paid in full or more) | UNDERPAID (less)
 * WAITING_FOR_PAYMENT -> EXPIRED (nothing arrived in the window).
 */

/** Minutes an order waits for its payment once the address is published. */
export const ORDER_WINDOW_MINUTES = 30;
/** Smallest order: 1.00 EUR. */
export const MIN_ORDER_EUR = 100n;
export const ASSIGN_JOB = 'order.assign_address';
export const EXPIRE_JOB = 'order.expire';

/**
 * EUR per unit of crypto the payer gets: mid rate less the exchange fee, 12 significant digits,
 * rounded down. The crypto due is the EUR amount divided by it, rounded up.
 */
export function orderRate(fx: Fx, currency: CurrencyCode, at: Date): { rate: Decimal; mid: Decimal } {
  const mid = fx.rates.eurValue(currency, at).toSignificantDigits(RATE_DIGITS, Decimal.ROUND_DOWN);
  return { rate: orderRateOf(mid, { feeFraction: fx.feeFraction }), mid };
}

export function parseOrderCurrency(currencyValue: string, networkValue?: string) {
  const currency = findCurrency(currencyValue);
  if (!currency || currency.kind !== 'CRYPTO') throw new ApiError('P410', `currency must be one of ${CRYPTO_CODES.join(', ')}`);
  const network = findNetwork(currency, networkValue);
  if (!network) throw new ApiError('P632');
  return { currency, network };
}

export function orderRates(fx: Fx, at: Date) {
  return {
    destinationCurrency: 'eur',
    feePercentage: fx.feeFraction.mul(100).toNumber(),
    rates: CRYPTO_CODES.flatMap((code) =>
      CURRENCIES[code].networks.map((n) => ({ currency: code, network: n.code, rate: orderRate(fx, code, at).rate.toFixed() })),
    ),
  };
}

export async function lockOrderRate(
  q: Queryable,
  { partnerId, body, now, fx }: { partnerId: string; body: { currency: string; amount: string | number; network?: string }; now: Date; fx: Fx },
) {
  const { currency, network } = parseOrderCurrency(body.currency, body.network);
  const eurAmount = parseAmount(body.amount, 2);
  if (eurAmount < MIN_ORDER_EUR) throw new ApiError('P615', 'Minimum order is 1.00 EUR');
  const { rate, mid } = orderRate(fx, currency.code, now);
  const { amountRequired, fee } = orderQuote(eurAmount, { scale: currency.scale, rate, mid });
  if (amountRequired < toMinor(network.minDeposit, currency.scale)) {
    throw new ApiError('P615', `The payment would be below the minimum deposit of ${network.minDeposit} ${currency.code}`);
  }
  const lock = {
    id: newId(), partner_id: partnerId, user_id: null, purpose: 'order' as const,
    currency_from: currency.code, currency_to: 'eur' as const, network: network.code,
    amount_from: amountRequired, amount_to: eurAmount, fee,
    rate: rate.toFixed(), mid_rate: mid.toFixed(), fee_percent: fx.feeFraction.mul(100).toString(),
    expires_at: new Date(now.getTime() + LOCK_SECONDS * 1000), created_at: now,
  };
  await insertLock(q, lock);
  return {
    lockId: lock.id,
    amount: toNumber(amountRequired, currency.scale),
    rate: lock.rate,
    expiresAt: lock.expires_at.toISOString(),
    currency: currency.code,
    destinationCurrency: 'eur',
    destinationAmount: toNumber(eurAmount, 2),
    network: network.code,
  };
}

export async function createOrder(q: Queryable, partnerId: string, secretKey: string, lockId: string, now: Date): Promise<string> {
  const lock = checkLock(await lockForUse(q, partnerId, lockId), { userId: null, purpose: 'order', now });
  const network = findNetwork(CURRENCIES[lock.currency_from], lock.network)!;
  const family = FAMILY_OF_NETWORK[network.code];
  // The address is derived now but published by a job, as P100 assigns it asynchronously.
  const { address, path } = deriveAddress(secretKey, family, await nextAddressIndex(q));
  const orderId = newId();
  await markLockUsed(q, lock.id, orderId, now);
  await insertOrder(q, {
    id: orderId, partner_id: partnerId, lock_id: lock.id, currency: lock.currency_from, network: network.code,
    amount_required: lock.amount_from, eur_amount: lock.amount_to, rate: lock.rate, mid_rate: lock.mid_rate,
    status: OrderStatus.WAITING_FOR_WALLET_ADDRESS, address_family: family, address, derivation_path: path,
    required_confirmations: network.confirmations, created_at: now,
  });
  await enqueueJob(q, { kind: ASSIGN_JOB, partnerId, runAt: now, payload: { orderId } });
  await emitOrderEvent(q, (await lockOrder(q, orderId))!);
  return orderId;
}

export function orderView(o: OrderRow) {
  const scale = CURRENCIES[o.currency].scale;
  const published = o.status !== OrderStatus.WAITING_FOR_WALLET_ADDRESS;
  return {
    orderId: o.id,
    lockId: o.lock_id,
    status: o.status,
    createdAt: o.created_at.toISOString(),
    confirmations: o.confirmations,
    requiredConfirmations: o.required_confirmations,
    receivedAmount: toNumber(o.received, scale),
    totalAmountRequired: toNumber(o.amount_required, scale),
    cryptocurrency: o.currency,
    currency: o.currency,
    walletAddress: published ? o.address : null,
    transactionHash: o.transaction_hash,
    network: o.network.toUpperCase(),
    expiresAt: o.expires_at ? o.expires_at.toISOString() : null,
    rate: o.rate,
    destinationCurrency: 'eur',
    destinationAmount: toNumber(o.eur_amount, 2),
    settledAmount: o.settled_eur === null ? null : toNumber(o.settled_eur, 2),
    fee: o.fee_eur === null ? null : toNumber(o.fee_eur, 2),
  };
}

export async function getOrder(q: Queryable, partnerId: string, orderId: string) {
  const row = isUuid(orderId) ? await findOrder(q, partnerId, orderId) : undefined;
  if (!row) throw new ApiError('P626');
  return orderView(row);
}

async function emitOrderEvent(q: Queryable, order: OrderRow): Promise<void> {
  await emitEvent(q, order.partner_id, 'order.status', { id: order.id, ...orderView(order) });
}

/** Publishes the order's address and opens its payment window. */
export const assignAddress: JobHandler = async (job, { q, now }) => {
  const expiresAt = new Date(now.getTime() + ORDER_WINDOW_MINUTES * 60_000);
  const order = await updateOrder(
    q, job.payload.orderId, { status: OrderStatus.WAITING_FOR_PAYMENT, expires_at: expiresAt, updated_at: now }, OrderStatus.WAITING_FOR_WALLET_ADDRESS,
  );
  if (!order) return;
  await enqueueJob(q, { kind: EXPIRE_JOB, partnerId: order.partner_id, runAt: expiresAt, payload: { orderId: order.id } });
  await emitOrderEvent(q, order);
};

/** Closes the payment window of an order nothing was paid to. */
export const expireOrder: JobHandler = async (job, { q, now }) => {
  const order = await updateOrder(q, job.payload.orderId, { status: OrderStatus.EXPIRED, updated_at: now }, OrderStatus.WAITING_FOR_PAYMENT);
  if (order) await emitOrderEvent(q, order);
};

/** Hooks the crypto rail calls for deposits to an order's address. */

/** The order whose (published) deposit address this is, if any. */
export async function findOrderForDeposit(
  q: Queryable,
  partnerId: string,
  network: NetworkCode,
  address: string,
): Promise<{ orderId: string; currency: CurrencyCode } | undefined> {
  const row = await findOrderByAddress(q, partnerId, FAMILY_OF_NETWORK[network], network, address);
  return row && { orderId: row.id, currency: row.currency };
}

/**
 * A payment to an order's address was seen (`final` false, confirmations counting up) or became
 * final (`final` true: converted at the locked rate and credited to the partner's EUR).
 * Called inside the deposit's transaction; the crypto rail does not credit any balance itself.
 * The first payment is the order's; any other final payment (a second one, or one after the
 * order expired or settled) is credited as crypto to the partner's balance, unconverted.
 */
export async function recordOrderPayment(
  q: Queryable,
  orderId: string,
  payment: { cryptoDepositId: string; amount: bigint; confirmations: number; final: boolean; now: Date },
): Promise<void> {
  const order = await lockOrder(q, orderId);
  if (!order) throw new Error(`recordOrderPayment: no order ${orderId}`);
  const isOrdersPayment =
    order.status === OrderStatus.WAITING_FOR_PAYMENT ||
    (order.status === OrderStatus.WAITING_FOR_CONFIRMATION && order.crypto_deposit_id === payment.cryptoDepositId);
  if (!isOrdersPayment) {
    if (payment.final) await creditUnconverted(q, order, payment);
    return;
  }
  if (!payment.final) {
    const changed = order.status !== OrderStatus.WAITING_FOR_CONFIRMATION;
    const updated = await updateOrder(q, order.id, {
      status: OrderStatus.WAITING_FOR_CONFIRMATION, crypto_deposit_id: payment.cryptoDepositId, received: payment.amount,
      confirmations: Math.min(payment.confirmations, order.required_confirmations), updated_at: payment.now,
    });
    if (changed) await emitOrderEvent(q, updated!);
    return;
  }
  await settle(q, order, payment);
}

/** Converts the final payment at the locked rate (`orderSettlement`, `orderSettlementPosting`). */
async function settle(q: Queryable, order: OrderRow, payment: { cryptoDepositId: string; amount: bigint; now: Date }) {
  const { gross, credited, fee } = orderSettlement(payment.amount, {
    scale: CURRENCIES[order.currency].scale, rate: order.rate, mid: order.mid_rate,
  });
  const partnerEur = await findAccount(q, { partnerId: order.partner_id }, 'eur');
  if (!partnerEur) throw new Error(`partner ${order.partner_id} has no EUR balance`);
  const postingId = await post(q, orderSettlementPosting({
    partnerId: order.partner_id, orderId: order.id, partnerEurAccountId: partnerEur.id, currency: order.currency,
    received: payment.amount, gross, credited,
  }));
  const updated = await updateOrder(q, order.id, {
    status: payment.amount >= order.amount_required ? OrderStatus.COMPLETED : OrderStatus.UNDERPAID,
    crypto_deposit_id: payment.cryptoDepositId, received: payment.amount, confirmations: order.required_confirmations,
    settled_eur: credited, fee_eur: fee, posting_id: postingId, updated_at: payment.now,
  });
  await emitOrderEvent(q, updated!);
}

/** A payment that is not the order's own: the partner receives the crypto as it is. */
async function creditUnconverted(q: Queryable, order: OrderRow, payment: { cryptoDepositId: string; amount: bigint }) {
  const account = await findAccount(q, { partnerId: order.partner_id }, order.currency);
  if (!account) throw new Error(`partner ${order.partner_id} has no ${order.currency} balance`);
  await post(q, orderExtraPaymentPosting({
    partnerId: order.partner_id, orderId: order.id, cryptoDepositId: payment.cryptoDepositId, partnerAccountId: account.id,
    currency: order.currency, amount: payment.amount,
  }));
}
