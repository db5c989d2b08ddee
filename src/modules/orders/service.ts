import { Decimal } from 'decimal.js';
import { CRYPTO_CODES, CURRENCIES, findCurrency, findNetwork, type CurrencyCode, type NetworkCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId, isUuid } from '../../kernel/ids.js';
import { parseAmount, toMinor, toNumber } from '../../kernel/money.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { findAccount, post } from '../../ledger/index.js';
import { emitEvent } from '../../outbox/events.js';
import { deriveAddress, FAMILY_OF_NETWORK } from '../../rails/chains/addresses.js';
import { exchangeFee, rates } from '../../rails/fx/rates.js';
import { nextAddressIndex } from '../balances/index.js';
import { checkLock, convertDown, convertUpInverse, insertLock, LOCK_SECONDS, lockForUse, markLockUsed, RATE_DIGITS } from '../exchange/index.js';
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
export function orderRate(currency: CurrencyCode, at: Date): { rate: Decimal; mid: Decimal } {
  const mid = rates().eurValue(currency, at).toSignificantDigits(RATE_DIGITS, Decimal.ROUND_DOWN);
  const rate = mid.mul(new Decimal(1).sub(exchangeFee())).toSignificantDigits(RATE_DIGITS, Decimal.ROUND_DOWN);
  return { rate, mid };
}

export function parseOrderCurrency(currencyValue: string, networkValue?: string) {
  const currency = findCurrency(currencyValue);
  if (!currency || currency.kind !== 'CRYPTO') throw new ApiError('P410', `currency must be one of ${CRYPTO_CODES.join(', ')}`);
  const network = findNetwork(currency, networkValue);
  if (!network) throw new ApiError('P632');
  return { currency, network };
}

export function orderRates(at: Date) {
  return {
    destinationCurrency: 'eur',
    feePercentage: exchangeFee().mul(100).toNumber(),
    rates: CRYPTO_CODES.flatMap((code) =>
      CURRENCIES[code].networks.map((n) => ({ currency: code, network: n.code, rate: orderRate(code, at).rate.toFixed() })),
    ),
  };
}

export async function lockOrderRate(q: Queryable, partnerId: string, body: { currency: string; amount: string | number; network?: string }, now: Date) {
  const { currency, network } = parseOrderCurrency(body.currency, body.network);
  const eurAmount = parseAmount(body.amount, 2);
  if (eurAmount < MIN_ORDER_EUR) throw new ApiError('P615', 'Minimum order is 1.00 EUR');
  const { rate, mid } = orderRate(currency.code, now);
  const amountRequired = convertUpInverse(eurAmount, 2, rate, currency.scale);
  if (amountRequired < toMinor(network.minDeposit, currency.scale)) {
    throw new ApiError('P615', `The payment would be below the minimum deposit of ${network.minDeposit} ${currency.code}`);
  }
  const lock = {
    id: newId(), partner_id: partnerId, user_id: null, purpose: 'order' as const,
    currency_from: currency.code, currency_to: 'eur' as const, network: network.code,
    amount_from: amountRequired, amount_to: eurAmount, fee: convertDown(amountRequired, currency.scale, mid, 2) - eurAmount,
    rate: rate.toFixed(), mid_rate: mid.toFixed(), fee_percent: exchangeFee().mul(100).toString(),
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
    status: 'WAITING_FOR_WALLET_ADDRESS', address_family: family, address, derivation_path: path,
    required_confirmations: network.confirmations, created_at: now,
  });
  await enqueueJob(q, { kind: ASSIGN_JOB, partnerId, runAt: now, payload: { orderId } });
  await emitOrderEvent(q, (await lockOrder(q, orderId))!);
  return orderId;
}

export function orderView(o: OrderRow) {
  const scale = CURRENCIES[o.currency].scale;
  const published = o.status !== 'WAITING_FOR_WALLET_ADDRESS';
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
  const order = await updateOrder(q, job.payload.orderId, { status: 'WAITING_FOR_PAYMENT', expires_at: expiresAt, updated_at: now }, 'WAITING_FOR_WALLET_ADDRESS');
  if (!order) return;
  await enqueueJob(q, { kind: EXPIRE_JOB, partnerId: order.partner_id, runAt: expiresAt, payload: { orderId: order.id } });
  await emitOrderEvent(q, order);
};

/** Closes the payment window of an order nothing was paid to. */
export const expireOrder: JobHandler = async (job, { q, now }) => {
  const order = await updateOrder(q, job.payload.orderId, { status: 'EXPIRED', updated_at: now }, 'WAITING_FOR_PAYMENT');
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
    order.status === 'WAITING_FOR_PAYMENT' ||
    (order.status === 'WAITING_FOR_CONFIRMATION' && order.crypto_deposit_id === payment.cryptoDepositId);
  if (!isOrdersPayment) {
    if (payment.final) await creditUnconverted(q, order, payment);
    return;
  }
  if (!payment.final) {
    const changed = order.status !== 'WAITING_FOR_CONFIRMATION';
    const updated = await updateOrder(q, order.id, {
      status: 'WAITING_FOR_CONFIRMATION', crypto_deposit_id: payment.cryptoDepositId, received: payment.amount,
      confirmations: Math.min(payment.confirmations, order.required_confirmations), updated_at: payment.now,
    });
    if (changed) await emitOrderEvent(q, updated!);
    return;
  }
  await settle(q, order, payment);
}

/** Converts the final payment at the locked rate: house chain -> house fx -> partner EUR, fee to house fees. */
async function settle(q: Queryable, order: OrderRow, payment: { cryptoDepositId: string; amount: bigint; now: Date }) {
  const scale = CURRENCIES[order.currency].scale;
  const credited = convertDown(payment.amount, scale, order.rate, 2);
  const gross = convertDown(payment.amount, scale, order.mid_rate, 2);
  const partnerEur = await findAccount(q, { partnerId: order.partner_id }, 'eur');
  if (!partnerEur) throw new Error(`partner ${order.partner_id} has no EUR balance`);
  const postingId = await post(q, {
    partnerId: order.partner_id, kind: 'order', refId: order.id,
    description: `Order ${order.id}: ${order.currency} payment converted to EUR`,
    lines: [
      { account: { house: 'chain' }, currency: order.currency, amount: -payment.amount },
      { account: { house: 'fx' }, currency: order.currency, amount: payment.amount },
      { account: { house: 'fx' }, currency: 'eur', amount: -gross },
      { account: { house: 'fees' }, currency: 'eur', amount: gross - credited },
      { account: { accountId: partnerEur.id }, currency: 'eur', amount: credited },
    ],
  });
  const updated = await updateOrder(q, order.id, {
    status: payment.amount >= order.amount_required ? 'COMPLETED' : 'UNDERPAID',
    crypto_deposit_id: payment.cryptoDepositId, received: payment.amount, confirmations: order.required_confirmations,
    settled_eur: credited, fee_eur: gross - credited, posting_id: postingId, updated_at: payment.now,
  });
  await emitOrderEvent(q, updated!);
}

/** A payment that is not the order's own: the partner receives the crypto as it is. */
async function creditUnconverted(q: Queryable, order: OrderRow, payment: { cryptoDepositId: string; amount: bigint }) {
  const account = await findAccount(q, { partnerId: order.partner_id }, order.currency);
  if (!account) throw new Error(`partner ${order.partner_id} has no ${order.currency} balance`);
  await post(q, {
    partnerId: order.partner_id, kind: 'order', refId: order.id,
    description: `Extra payment to order ${order.id} (deposit ${payment.cryptoDepositId}), credited unconverted`,
    lines: [
      { account: { house: 'chain' }, currency: order.currency, amount: -payment.amount },
      { account: { accountId: account.id }, currency: order.currency, amount: payment.amount },
    ],
  });
}
