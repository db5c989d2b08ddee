import { Decimal } from 'decimal.js';
import { CURRENCIES, findCurrency, type CurrencyCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { isUuid, newId } from '../../kernel/ids.js';
import { formatAmount } from '../../kernel/money.js';
import { ExchangeStatus } from '../../kernel/statuses.js';
import { post } from '../../ledger/index.js';
import { exchangePosting } from '../../money/postings.js';
import { usableBalance } from '../../money/refusals.js';
import { emitEvent } from '../../outbox/events.js';
import type { ExchangeQuote } from './quote.js';
import { findExchange, insertExchange, insertLock, lockForUse, markLockUsed, type ExchangeRow, type LockRow } from './store.js';

/** Rate locks live 40 seconds of the partner's (simulated) time. */
export const LOCK_SECONDS = 40;

/** The two currencies of a request; P623 for an unknown slug or twice the same one. */
export function parsePair(currencyFrom: string, currencyTo: string): { from: CurrencyCode; to: CurrencyCode } {
  const from = findCurrency(currencyFrom);
  const to = findCurrency(currencyTo);
  if (!from || !to) throw new ApiError('P623', `Currency pair ${currencyFrom}/${currencyTo} is not supported`);
  if (from.code === to.code) throw new ApiError('P623', 'currencyFrom and currencyTo must differ');
  return { from: from.code, to: to.code };
}

export const rateNumber = (rate: Decimal | string): number => Number(new Decimal(rate).toString());

/** The quote's public fields (amounts as decimal strings at each currency's scale, rate a number). */
export function quoteView(q: Pick<ExchangeQuote, 'currencyFrom' | 'currencyTo' | 'amountFrom' | 'amountTo' | 'fee'> & { rate: Decimal | string; feePercent: string }) {
  return {
    rate: rateNumber(q.rate),
    amountFrom: formatAmount(q.amountFrom, CURRENCIES[q.currencyFrom].scale),
    amountTo: formatAmount(q.amountTo, CURRENCIES[q.currencyTo].scale),
    fee: formatAmount(q.fee, CURRENCIES[q.currencyFrom].scale),
    feeCurrency: q.currencyFrom,
    feePercentage: Number(q.feePercent),
    currencyFrom: q.currencyFrom,
    currencyTo: q.currencyTo,
  };
}

const feePercentOf = (quote: ExchangeQuote) => quote.feeFraction.mul(100).toString();

/** Quotes and stores a 40-second lock for a partner (userId null) or one of its users. */
export async function createExchangeLock(
  q: Queryable,
  owner: { partnerId: string; userId: string | null },
  quote: ExchangeQuote,
  now: Date,
) {
  const lock = {
    id: newId(), partner_id: owner.partnerId, user_id: owner.userId, purpose: 'exchange' as const,
    currency_from: quote.currencyFrom, currency_to: quote.currencyTo, network: null,
    amount_from: quote.amountFrom, amount_to: quote.amountTo, fee: quote.fee,
    rate: quote.rate.toString(), mid_rate: quote.rate.toString(), fee_percent: feePercentOf(quote),
    expires_at: new Date(now.getTime() + LOCK_SECONDS * 1000), created_at: now,
  };
  await insertLock(q, lock);
  return { lockId: lock.id, ...quoteView({ ...quote, feePercent: lock.fee_percent }), expiresAt: lock.expires_at.toISOString() };
}

/**
 * Checks a lock before use: P620 unknown (or another partner's, or an order lock), P627 when it
 * belongs to another owner or the request's amount/currencies differ, P622 used, P621 expired.
 */
export function checkLock(
  lock: LockRow | undefined,
  request: { userId: string | null; purpose: LockRow['purpose']; now: Date; amountFrom?: bigint; from?: CurrencyCode; to?: CurrencyCode },
): LockRow {
  if (!lock || lock.purpose !== request.purpose) throw new ApiError('P620');
  if (lock.user_id !== request.userId) throw new ApiError('P627', 'The rate lock belongs to another balance owner');
  if (lock.used_at) throw new ApiError('P622');
  if (lock.expires_at.getTime() <= request.now.getTime()) throw new ApiError('P621');
  if (request.from !== undefined && (lock.currency_from !== request.from || lock.currency_to !== request.to)) {
    throw new ApiError('P627', `The rate lock is for ${lock.currency_from} to ${lock.currency_to}`);
  }
  if (request.amountFrom !== undefined && lock.amount_from !== request.amountFrom) {
    throw new ApiError('P627', `The rate lock is for an amount of ${formatAmount(lock.amount_from, CURRENCIES[lock.currency_from].scale)}`);
  }
  return lock;
}

/**
 * Executes a locked exchange in one posting (`exchangePosting`: the fee to house fees, the rest
 * through house fx). Both balances must be usable (src/money/refusals.ts). Synchronous: it is
 * COMPLETED when this returns, or nothing happened.
 */
export async function executeExchange(
  q: Queryable,
  req: {
    partnerId: string; userId: string | null; externalUserId: string | null; lockId: string; amount: bigint;
    from: CurrencyCode; to: CurrencyCode; now: Date;
  },
): Promise<string> {
  const lock = checkLock(await lockForUse(q, req.partnerId, req.lockId), {
    userId: req.userId, purpose: 'exchange', now: req.now, amountFrom: req.amount, from: req.from, to: req.to,
  });
  const owner = { partnerId: req.partnerId, userId: req.userId };
  const fromAccount = await usableBalance(q, owner, lock.currency_from);
  const toAccount = await usableBalance(q, owner, lock.currency_to);
  const exchangeId = newId();
  await markLockUsed(q, lock.id, exchangeId, req.now);
  const postingId = await post(q, {
    ...exchangePosting({
      partnerId: req.partnerId, exchangeId, fromAccountId: fromAccount.id, toAccountId: toAccount.id,
      currencyFrom: lock.currency_from, currencyTo: lock.currency_to,
      amountFrom: lock.amount_from, fee: lock.fee, amountTo: lock.amount_to,
    }),
    at: req.now, // history shows the exchange's own time
  });
  const row: Omit<ExchangeRow, 'expires_at' | 'fee_percent' | 'external_user_id'> = {
    id: exchangeId, partner_id: req.partnerId, user_id: req.userId, lock_id: lock.id,
    currency_from: lock.currency_from, currency_to: lock.currency_to, amount_from: lock.amount_from,
    amount_to: lock.amount_to, fee: lock.fee, rate: lock.rate, status: ExchangeStatus.COMPLETED, posting_id: postingId,
    created_at: req.now, completed_at: req.now,
  };
  await insertExchange(q, row);
  await emitEvent(q, req.partnerId, 'exchange.status',
    exchangeWebhook({ ...row, expires_at: lock.expires_at, fee_percent: lock.fee_percent, external_user_id: req.externalUserId }), req.now);
  return exchangeId;
}

export function exchangeView(e: ExchangeRow) {
  return {
    exchangeId: e.id,
    lockId: e.lock_id,
    status: e.status,
    ...quoteView({
      currencyFrom: e.currency_from, currencyTo: e.currency_to, amountFrom: e.amount_from, amountTo: e.amount_to,
      fee: e.fee, rate: e.rate, feePercent: e.fee_percent,
    }),
    externalUserId: e.external_user_id,
    expiresAt: e.expires_at.toISOString(),
    createdAt: e.created_at.toISOString(),
    completedAt: e.completed_at ? e.completed_at.toISOString() : null,
  };
}

/** Flat webhook body: the details plus `id` and `amount` (the amount of currencyFrom, a number). */
function exchangeWebhook(e: ExchangeRow) {
  const view = exchangeView(e);
  return { id: e.id, ...view, amount: Number(view.amountFrom) };
}

export async function getExchange(q: Queryable, partnerId: string, exchangeId: string, userLevel: boolean) {
  const row = isUuid(exchangeId) ? await findExchange(q, partnerId, exchangeId, userLevel) : undefined;
  if (!row) throw new ApiError('P624');
  return exchangeView(row);
}
