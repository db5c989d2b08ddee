import { CURRENCIES, type CurrencyCode, type NetworkCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { newId } from '../../kernel/ids.js';
import { PaymentLinkException, PaymentLinkStatus, PaymentLinkTransactionStatus } from '../../kernel/statuses.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { findAccount, post } from '../../ledger/index.js';
import { orderSettlement } from '../../money/fees.js';
import { paymentLinkSettlementPosting } from '../../money/postings.js';
import { balanceRefusal } from '../../money/refusals.js';
import type { Fx } from '../../rails/fx/rates.js';
import { orderRate } from '../orders/index.js';
import { amountToComplete, emitLinkEvent, EXPIRE_JOB, FINAL_STATUSES, newQuote } from './service.js';
import {
  findLinkIdByAddress, findTransaction, latestQuote, insertTransaction, linkTransactions, lockLink, markSettled, quoteValidAt, setConfirmations,
  updateLink, type LinkRow, type TransactionRow,
} from './store.js';

/**
 * Settlement of the transfers to a link's addresses, called by the crypto deposit rail inside the
 * deposit's transaction (the rail credits nothing itself). Every call locks the link first, so a
 * transfer and the expiry job, or two transfers, are applied one after the other:
 *
 * - seen (`final` false, first time): a transaction row CONFIRMING, unique per crypto deposit. A
 *   transfer seen after the link expired is `late`; it is still settled.
 * - final: converted at the link's quote for that coin if the quote was valid when the transfer
 *   was seen, else at the current rate (an order's rate: mid less the fee, `orderSettlement`),
 *   credited in ONE posting whose id is the transaction's, marked SETTLED; the link is then
 *   COMPLETED (received >= amount less the tolerance), AWAITING_COMPLETION (underpaid: the
 *   window opens and a quote for the rest is made in the same coin), or stays as it is when it
 *   had already ended (the payment is credited in full and the exception says why).
 */

export interface LinkPayment {
  cryptoDepositId: string;
  currency: CurrencyCode;
  network: NetworkCode;
  amount: bigint;
  transactionHash: string;
  confirmations: number;
  requiredConfirmations: number;
  final: boolean;
  now: Date;
}

/** What the settlement needs from the app: FX (current rates) and the master secret (addresses of a new quote). */
export interface SettlementContext {
  fx: Fx;
  secretKey: string;
}

/** The link this address (on this network) belongs to, if any. */
export async function findPaymentLinkForDeposit(q: Queryable, partnerId: string, network: NetworkCode, address: string): Promise<string | undefined> {
  return findLinkIdByAddress(q, partnerId, network, address);
}

/** `ctx` is needed for a final transfer only (the deposit request reports a transfer seen, never a final one). */
export async function recordPaymentLinkPayment(q: Queryable, linkId: string, payment: LinkPayment, ctx?: SettlementContext): Promise<void> {
  let link = await lockLink(q, linkId);
  if (!link) throw new Error(`recordPaymentLinkPayment: no payment link ${linkId}`);
  let tx = await findTransaction(q, payment.cryptoDepositId);
  if (!tx) {
    // A deadline that passed before this transfer was seen ends the link first, as its job would have.
    link = await applyDeadlines(q, link, payment.now);
    const late = link.status === PaymentLinkStatus.EXPIRED;
    const id = newId();
    await insertTransaction(q, {
      id, link_id: link.id, crypto_deposit_id: payment.cryptoDepositId, currency: payment.currency, network: payment.network,
      amount: payment.amount, transaction_hash: payment.transactionHash, confirmations: Math.min(payment.confirmations, payment.requiredConfirmations),
      required_confirmations: payment.requiredConfirmations, late, detected_at: payment.now,
    });
    if (!FINAL_STATUSES.includes(link.status)) link = await updateLink(q, link.id, { status: PaymentLinkStatus.CONFIRMING, updated_at: payment.now });
    await refreshException(q, link, payment.now);
    await emitLinkEvent(q, link.id);
    if (!payment.final) return;
    tx = (await findTransaction(q, payment.cryptoDepositId))!;
  }
  if (tx.status === PaymentLinkTransactionStatus.SETTLED) return; // settled once already
  if (!payment.final) {
    await setConfirmations(q, tx.id, Math.min(payment.confirmations, tx.required_confirmations));
    return;
  }
  if (!ctx) throw new Error('recordPaymentLinkPayment: a final transfer needs the settlement context');
  await settle(q, link, tx, payment.now, ctx);
}

/** Converts and credits one final transfer, then moves the link on. */
async function settle(q: Queryable, link: LinkRow, tx: TransactionRow, now: Date, ctx: SettlementContext): Promise<void> {
  const quote = await quoteValidAt(q, link.id, tx.currency, tx.network, tx.detected_at);
  const pricing = quote ? { rate: quote.rate, mid: quote.mid_rate } : orderRate(ctx.fx, tx.currency, now);
  const { gross, credited, fee } = orderSettlement(tx.amount, { scale: CURRENCIES[tx.currency].scale, ...pricing });
  const eurAccountId = await creditAccount(q, link);
  const postingId = await post(q, paymentLinkSettlementPosting({
    postingId: tx.id, partnerId: link.partner_id, linkId: link.id, eurAccountId, currency: tx.currency,
    received: tx.amount, gross, credited, transactionHash: tx.transaction_hash,
  }));
  const settled = await markSettled(q, tx.id, {
    quote_id: quote?.id ?? null, rate: pricing.rate.toString(), eur_amount: credited, fee, posting_id: postingId,
    confirmations: tx.required_confirmations, at: now,
  });
  if (!settled) throw new Error(`payment link transaction ${tx.id} was settled twice`); // the posting's id forbids it anyway
  let updated = await updateLink(q, link.id, { received: link.received + credited, fee: link.fee + fee, updated_at: now });
  if (updated.status === PaymentLinkStatus.CONFIRMING) updated = await afterSettlement(q, updated, now, ctx);
  await refreshException(q, updated, now);
  await emitLinkEvent(q, link.id);
}

/** A link that was confirming: completed, still confirming another transfer, or underpaid. */
async function afterSettlement(q: Queryable, link: LinkRow, now: Date, ctx: SettlementContext): Promise<LinkRow> {
  if (link.received >= amountToComplete(link)) {
    return updateLink(q, link.id, { status: PaymentLinkStatus.COMPLETED, completed_at: now });
  }
  const confirming = (await linkTransactions(q, link.id)).some((t) => t.status === PaymentLinkTransactionStatus.CONFIRMING);
  if (confirming) return link;
  const windowEndsAt = link.window_ends_at ?? new Date(now.getTime() + link.underpayment_window_seconds * 1000);
  const awaiting = await updateLink(q, link.id, { status: PaymentLinkStatus.AWAITING_COMPLETION, window_ends_at: windowEndsAt });
  if (windowEndsAt <= now) return applyDeadlines(q, awaiting, now);
  if (!link.window_ends_at) await enqueueJob(q, { kind: EXPIRE_JOB, partnerId: link.partner_id, runAt: windowEndsAt, payload: { linkId: link.id } });
  const last = await latestQuote(q, link.id);
  if (last) {
    await newQuote(q, awaiting, { currency: last.currency_from, network: last.network as NetworkCode }, { ...ctx, now });
  }
  return awaiting;
}

/**
 * Ends a link whose deadline has passed: the expiry while nothing arrived, the underpayment
 * window while awaiting completion. A link with a transfer confirming waits for it. Idempotent:
 * the expiry job and a transfer seen late both call it under the link's lock.
 */
async function applyDeadlines(q: Queryable, link: LinkRow, now: Date): Promise<LinkRow> {
  const lapsed =
    (link.status === PaymentLinkStatus.WAITING_FOR_PAYMENT && now >= link.expires_at) ||
    (link.status === PaymentLinkStatus.AWAITING_COMPLETION && link.window_ends_at !== null && now >= link.window_ends_at);
  if (!lapsed) return link;
  return updateLink(q, link.id, { status: PaymentLinkStatus.EXPIRED, updated_at: now });
}

/** The link's expiry and its underpayment window, on the partner's clock. */
export const expireLink: JobHandler = async (job, { q, now }) => {
  const link = await lockLink(q, job.payload.linkId);
  if (!link) return;
  const updated = await applyDeadlines(q, link, now);
  if (updated.status === link.status) return;
  await refreshException(q, updated, now);
  await emitLinkEvent(q, link.id);
};

/**
 * A quote's end on the partner's clock: the link has no current quote any more (the page asks the
 * payer for a new one). Reported when the payer is being asked to pay (waiting, awaiting completion).
 */
export const expireQuote: JobHandler = async (job, { q, now }) => {
  const link = await lockLink(q, job.payload.linkId);
  if (!link || link.quote_id !== job.payload.quoteId) return; // a newer quote replaced it
  await updateLink(q, link.id, { quote_id: null, updated_at: now });
  if (link.status === PaymentLinkStatus.WAITING_FOR_PAYMENT || link.status === PaymentLinkStatus.AWAITING_COMPLETION) {
    await emitLinkEvent(q, link.id);
  }
};

/** What is unusual about the link's payments, most telling first. */
function exceptionOf(link: LinkRow, transactions: TransactionRow[]): PaymentLinkException | null {
  if (transactions.some((t) => t.late)) return PaymentLinkException.PAID_LATE;
  // Part paid and not (yet) completed: awaiting the rest, a top-up confirming, or expired short.
  if (link.status !== PaymentLinkStatus.COMPLETED && link.received > 0n && link.received < amountToComplete(link)) return PaymentLinkException.UNDERPAID;
  if (link.received > link.amount) return PaymentLinkException.OVERPAID;
  if (link.status === PaymentLinkStatus.COMPLETED && transactions.length > 1) return PaymentLinkException.MULTIPLE;
  return null;
}

async function refreshException(q: Queryable, link: LinkRow, now: Date): Promise<void> {
  const exception = exceptionOf(link, await linkTransactions(q, link.id));
  if (exception !== link.exception) await updateLink(q, link.id, { exception, updated_at: now });
}

/**
 * The EUR balance a settlement credits: the checkout's user when it named one and that balance
 * still takes money, else the partner's (a payment is never refused or left uncredited).
 */
async function creditAccount(q: Queryable, link: LinkRow): Promise<string> {
  if (link.credit_user_id) {
    const account = await findAccount(q, { partnerId: link.partner_id, userId: link.credit_user_id }, 'eur');
    if (account && !balanceRefusal(account)) return account.id;
  }
  const partnerEur = await findAccount(q, { partnerId: link.partner_id }, 'eur');
  if (!partnerEur) throw new Error(`partner ${link.partner_id} has no EUR balance`);
  return partnerEur.id;
}
