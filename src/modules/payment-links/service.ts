import { CURRENCIES, findNetwork, type CurrencyCode, type NetworkCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { isUuid, newId } from '../../kernel/ids.js';
import { Decimal, formatAmount, parseAmount, toMinor } from '../../kernel/money.js';
import { newPageToken } from '../../kernel/secrets.js';
import { PaymentLinkStatus } from '../../kernel/statuses.js';
import { enqueueJob } from '../../jobs/queue.js';
import { assertBalanceMayMoveMoney } from '../../money/refusals.js';
import { orderQuote } from '../../money/fees.js';
import { emitEvent } from '../../outbox/events.js';
import { deriveAddress, FAMILY_OF_NETWORK } from '../../rails/chains/addresses.js';
import type { Fx } from '../../rails/fx/rates.js';
import { nextAddressIndex } from '../balances/index.js';
import { insertLock, markLockUsed, type LockRow } from '../exchange/index.js';
import { orderRate } from '../orders/index.js';
import { requireUserAccounts } from '../users/index.js';
import type { CheckoutSettings } from './checkout-settings.js';
import {
  findLink, findQuote, insertAddress, insertLink, linkAddresses, linkTransactions, type AddressRow, type LinkRow, type TransactionRow,
} from './store.js';

/**
 * Payment links: an amount in EUR, paid in the crypto the payer chooses on the hosted page, each
 * confirmed transfer converted to EUR and credited once (./settlement.ts). Statuses and their
 * transitions: docs/payment-links.md.
 */

/** What a payer may pay a link with: the six coins whose wallet URIs the page can show (BIP21, EIP-681). */
export const PAYMENT_OPTIONS: readonly { currency: CurrencyCode; network: NetworkCode }[] = [
  { currency: 'btc', network: 'btc' }, { currency: 'eth', network: 'ethereum' }, { currency: 'usdc', network: 'polygon' },
  { currency: 'usdc', network: 'ethereum' }, { currency: 'pol', network: 'polygon' }, { currency: 'ltc', network: 'ltc' },
  { currency: 'doge', network: 'doge' },
];
export const LINK_CURRENCIES = ['btc', 'eth', 'ltc', 'doge', 'pol', 'usdc'] as const;

/** How long a quote (crypto amount at a fixed rate) holds: 15 minutes of the partner's clock. */
export const QUOTE_SECONDS = 15 * 60;
/** Smallest link: 1.00 EUR. */
export const MIN_LINK_EUR = 100n;
export const EXPIRE_JOB = 'payment_link.expire';
export const QUOTE_EXPIRE_JOB = 'payment_link.quote_expire';

export const FINAL_STATUSES: readonly PaymentLinkStatus[] = [PaymentLinkStatus.COMPLETED, PaymentLinkStatus.EXPIRED];

export function paymentOption(currency: string, network?: string) {
  const found = PAYMENT_OPTIONS.find((o) => o.currency === currency.toLowerCase() && (!network || o.network === network.toLowerCase()));
  if (!found) throw new ApiError('P682');
  return found;
}

export interface NewLinkRequest {
  amount: string | number;
  description?: string;
  reference?: string;
  externalUserId?: string;
  successUrl?: string;
  cancelUrl?: string;
  expiryMinutes?: number;
}

/** Creates a link (standard: `branded` false, the default rules; checkout: the partner's settings). */
export async function createLink(q: Queryable, args: {
  partnerId: string; kind: LinkRow['kind']; body: NewLinkRequest; settings: CheckoutSettings; now: Date; publicUrl: string;
}) {
  const { partnerId, body, settings, now } = args;
  const amount = parseAmount(body.amount, 2);
  if (amount < MIN_LINK_EUR) throw new ApiError('P615', 'The smallest payment link is 1.00 EUR');
  let creditUserId: string | null = null;
  if (body.externalUserId !== undefined) {
    const [{ user, account }] = await requireUserAccounts(q, partnerId, [body.externalUserId], 'eur', { moveMoney: true });
    assertBalanceMayMoveMoney(account, 'eur');
    creditUserId = user.id;
  }
  const branded = args.kind === 'CHECKOUT';
  const expiryMinutes = body.expiryMinutes ?? settings.expiryMinutes;
  const { token, hash } = newPageToken();
  const link = {
    id: newId(), partner_id: partnerId, kind: args.kind, page_token_hash: hash, amount,
    description: body.description ?? null, reference: body.reference ?? null, credit_user_id: creditUserId,
    display_name: branded ? settings.displayName : null, logo_url: branded ? settings.logoUrl : null,
    accent_color: branded ? settings.accentColor : null,
    success_url: body.successUrl ?? settings.successUrl, cancel_url: body.cancelUrl ?? settings.cancelUrl,
    tolerance_percent: new Decimal(settings.paymentTolerancePercent).toFixed(),
    underpayment_window_seconds: settings.underpaymentWindowMinutes * 60,
    status: PaymentLinkStatus.WAITING_FOR_PAYMENT, expires_at: new Date(now.getTime() + expiryMinutes * 60_000), created_at: now,
  };
  await insertLink(q, link);
  await enqueueJob(q, { kind: EXPIRE_JOB, partnerId, runAt: link.expires_at, payload: { linkId: link.id } });
  const view = await emitLinkEvent(q, link.id);
  return {
    paymentLinkId: link.id, url: `${args.publicUrl}/pay/${token}`, status: view.status, expiresAt: view.expiresAt,
    amount: view.amount, currency: 'eur' as const,
  };
}

/** The completion threshold: the amount less the tolerance (rounded in the payer's favour). */
export function amountToComplete(link: Pick<LinkRow, 'amount' | 'tolerance_percent'>): bigint {
  const allowance = BigInt(new Decimal(link.amount.toString()).mul(link.tolerance_percent).div(100).toFixed(0, Decimal.ROUND_DOWN));
  return link.amount - allowance;
}

export const remainingOf = (link: Pick<LinkRow, 'amount' | 'received'>): bigint => (link.received >= link.amount ? 0n : link.amount - link.received);

/** The link's deposit address on `network`, derived on first use like an order's. */
export async function ensureAddress(q: Queryable, link: Pick<LinkRow, 'id' | 'partner_id'>, network: NetworkCode, secretKey: string): Promise<AddressRow> {
  const existing = (await linkAddresses(q, link.id)).find((a) => a.network === network);
  if (existing) return existing;
  const family = FAMILY_OF_NETWORK[network];
  const { address, path } = deriveAddress(secretKey, family, await nextAddressIndex(q));
  // Two first payments on one network at once: the second finds the first one's address (its index is left unused).
  return insertAddress(q, { link_id: link.id, network, family, address, partner_id: link.partner_id, derivation_path: path });
}

/**
 * A quote for what is left to pay, in the payer's chosen coin: an order's rate (mid less the fee)
 * held QUOTE_SECONDS, stored as a rate lock of purpose 'payment_link' used by the link. The caller
 * holds the link's lock.
 */
export async function newQuote(q: Queryable, link: LinkRow, option: { currency: CurrencyCode; network: NetworkCode }, ctx: {
  fx: Fx; now: Date; secretKey: string;
}): Promise<LockRow> {
  if (FINAL_STATUSES.includes(link.status)) throw new ApiError('P681');
  const remaining = remainingOf(link);
  if (remaining === 0n) throw new ApiError('P681', 'Nothing is left to pay');
  await ensureAddress(q, link, option.network, ctx.secretKey);
  const scale = CURRENCIES[option.currency].scale;
  const { rate, mid } = orderRate(ctx.fx, option.currency, ctx.now);
  const { amountRequired, fee } = orderQuote(remaining, { scale, rate, mid });
  // The rail refuses a transfer below the network's minimum: never ask a payer for one.
  const { minDeposit } = networkOf(option.currency, option.network);
  if (amountRequired < toMinor(minDeposit, scale)) {
    throw new ApiError('P615', `${formatAmount(amountRequired, scale)} ${option.currency} is below the minimum transfer of ${minDeposit} on this network: choose another coin`);
  }
  const lock: LockRow = {
    id: newId(), partner_id: link.partner_id, user_id: null, purpose: 'payment_link', currency_from: option.currency, currency_to: 'eur',
    network: option.network, amount_from: amountRequired, amount_to: remaining, fee, rate: rate.toFixed(), mid_rate: mid.toFixed(),
    fee_percent: ctx.fx.feeFraction.mul(100).toString(), expires_at: new Date(ctx.now.getTime() + QUOTE_SECONDS * 1000),
    created_at: ctx.now, used_at: ctx.now, used_by: link.id,
  };
  await insertLock(q, lock);
  await markLockUsed(q, lock.id, link.id, ctx.now);
  await q.query('UPDATE payment_links SET quote_id = $2 WHERE id = $1', [link.id, lock.id]);
  await enqueueJob(q, { kind: QUOTE_EXPIRE_JOB, partnerId: link.partner_id, runAt: lock.expires_at, payload: { linkId: link.id, quoteId: lock.id } });
  return lock;
}

const eur = (minor: bigint | null) => (minor === null ? null : formatAmount(minor, 2));

function transactionView(t: TransactionRow) {
  const scale = CURRENCIES[t.currency].scale;
  return {
    transactionId: t.id, cryptoDepositId: t.crypto_deposit_id, transactionHash: t.transaction_hash, currency: t.currency,
    network: t.network, amount: formatAmount(t.amount, scale), eurAmount: eur(t.eur_amount), fee: eur(t.fee), rate: t.rate,
    confirmations: t.confirmations, requiredConfirmations: t.required_confirmations, status: t.status, late: t.late,
    detectedAt: t.detected_at.toISOString(), settledAt: t.settled_at ? t.settled_at.toISOString() : null,
  };
}

/** Get Payment Link Details and the webhook payload: the link, its current quote and every transfer. */
export async function linkView(q: Queryable, link: LinkRow) {
  // One after the other: a transaction's client runs one query at a time.
  const transactions = await linkTransactions(q, link.id);
  const addresses = await linkAddresses(q, link.id);
  const quote = link.quote_id ? await findQuote(q, link.quote_id) : undefined;
  const [user] = link.credit_user_id
    ? await q.query<{ external_user_id: string }>('SELECT external_user_id FROM users WHERE id = $1', [link.credit_user_id])
    : [];
  return {
    paymentLinkId: link.id,
    type: link.kind,
    status: link.status,
    exception: link.exception,
    currency: 'eur' as const,
    amount: formatAmount(link.amount, 2),
    amountReceived: formatAmount(link.received, 2),
    amountRemaining: formatAmount(remainingOf(link), 2),
    fee: formatAmount(link.fee, 2),
    description: link.description,
    reference: link.reference,
    externalUserId: user?.external_user_id ?? null,
    paymentTolerancePercent: new Decimal(link.tolerance_percent).toNumber(),
    underpaymentWindowMinutes: link.underpayment_window_seconds / 60,
    successUrl: link.success_url,
    cancelUrl: link.cancel_url,
    createdAt: link.created_at.toISOString(),
    expiresAt: link.expires_at.toISOString(),
    underpaymentWindowEndsAt: link.window_ends_at ? link.window_ends_at.toISOString() : null,
    completedAt: link.completed_at ? link.completed_at.toISOString() : null,
    quote: quote ? {
      quoteId: quote.id, currency: quote.currency_from as (typeof LINK_CURRENCIES)[number], network: quote.network as NetworkCode,
      address: addresses.find((a) => a.network === quote.network)!.address,
      amount: formatAmount(quote.amount_from, CURRENCIES[quote.currency_from].scale), eurAmount: formatAmount(quote.amount_to, 2),
      rate: quote.rate, expiresAt: quote.expires_at.toISOString(),
    } : null,
    addresses: addresses.map((a) => ({ network: a.network, address: a.address })),
    transactions: transactions.map(transactionView),
  };
}
export type LinkView = Awaited<ReturnType<typeof linkView>>;

export async function getLink(q: Queryable, partnerId: string, linkId: string): Promise<LinkView> {
  const link = isUuid(linkId) ? await findLink(q, partnerId, linkId) : undefined;
  if (!link) throw new ApiError('P680');
  return linkView(q, link);
}

/** Writes `payment_link.status` with the link as it now is (the caller's transaction holds its changes). */
export async function emitLinkEvent(q: Queryable, linkId: string): Promise<LinkView> {
  const [link] = await q.query<LinkRow>('SELECT * FROM payment_links WHERE id = $1', [linkId]);
  const view = await linkView(q, link);
  await emitEvent(q, link.partner_id, 'payment_link.status', view);
  return view;
}

export const networkOf = (currency: CurrencyCode, network: NetworkCode) => findNetwork(CURRENCIES[currency], network)!;

/** The partner's link's address on `network` (the sandbox pays it): P680 for another partner's or an unknown link. */
export async function paymentLinkAddress(q: Queryable, partnerId: string, linkId: string, network: NetworkCode, secretKey: string): Promise<string> {
  const link = isUuid(linkId) ? await findLink(q, partnerId, linkId) : undefined;
  if (!link) throw new ApiError('P680');
  return (await ensureAddress(q, link, network, secretKey)).address;
}
