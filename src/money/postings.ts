import type { CurrencyCode } from '../kernel/currencies.js';
import type { Queryable } from '../kernel/db.js';
import { captureHold, hold, increaseHold, postHold, releaseHoldPart, voidHold, type AccountRow, type PostingInput } from '../ledger/index.js';

/**
 * What each operation posts and charges, one function per operation: "what does X move?" has one
 * answer, here. Fees come from ./fees.ts; the ledger (src/ledger) applies the postings. Operations
 * that reserve money first (SEPA transfers, crypto withdrawals) have their hold, the posting that
 * settles it and the void that undoes it side by side.
 *
 * Line signs are the ledger's: negative debits the account, positive credits it. House accounts
 * are Centum's own books (fx, fees, sepa, chain).
 */

/** A balance by id (a partner's or a user's). */
const balance = (accountId: string) => ({ accountId });

// ---------------------------------------------------------------------------------------------
// Synchronous operations: one posting each.

/**
 * Internal transfer (free): `amount` from one balance to another of the same currency.
 */
export function transferPosting(t: {
  partnerId: string; transferId: string; description: string;
  fromAccountId: string; toAccountId: string; currency: CurrencyCode; amount: bigint;
}): PostingInput {
  return {
    partnerId: t.partnerId, kind: 'transfer', refId: t.transferId, description: t.description,
    lines: [
      { account: balance(t.fromAccountId), currency: t.currency, amount: -t.amount },
      { account: balance(t.toAccountId), currency: t.currency, amount: t.amount },
    ],
  };
}

/**
 * Exchange: the owner's `from` balance pays amountFrom, of which the fee goes to house fees and the
 * rest to house fx; house fx pays amountTo into the owner's `to` balance.
 */
export function exchangePosting(e: {
  partnerId: string; exchangeId: string;
  fromAccountId: string; toAccountId: string; currencyFrom: CurrencyCode; currencyTo: CurrencyCode;
  amountFrom: bigint; fee: bigint; amountTo: bigint;
}): PostingInput {
  return {
    partnerId: e.partnerId, kind: 'exchange', refId: e.exchangeId,
    description: `Exchange ${e.currencyFrom} to ${e.currencyTo}`,
    lines: [
      { account: balance(e.fromAccountId), currency: e.currencyFrom, amount: -e.amountFrom },
      { account: { house: 'fees' }, currency: e.currencyFrom, amount: e.fee },
      { account: { house: 'fx' }, currency: e.currencyFrom, amount: e.amountFrom - e.fee },
      { account: { house: 'fx' }, currency: e.currencyTo, amount: -e.amountTo },
      { account: balance(e.toAccountId), currency: e.currencyTo, amount: e.amountTo },
    ],
  };
}

/** Incoming SEPA payment, approved: house sepa (the outside bank) credits the owner's EUR balance. */
export function sepaDepositPosting(d: {
  postingId?: string; partnerId: string; depositId: string; accountId: string; amount: bigint; senderName: string | null;
}): PostingInput {
  return {
    id: d.postingId, partnerId: d.partnerId, kind: 'sepa_deposit', refId: d.depositId,
    description: d.senderName ? `SEPA from ${d.senderName}` : 'SEPA deposit',
    lines: [
      { account: { house: 'sepa' }, currency: 'eur', amount: -d.amount },
      { account: balance(d.accountId), currency: 'eur', amount: d.amount },
    ],
  };
}

/** Incoming crypto, final: house chain (the network) credits the owner's balance. No fee. */
export function cryptoDepositPosting(d: {
  partnerId: string; depositId: string; accountId: string; currency: CurrencyCode; amount: bigint; transactionHash: string;
}): PostingInput {
  return {
    partnerId: d.partnerId, kind: 'crypto_deposit', refId: d.depositId,
    description: `${d.currency} deposit ${d.transactionHash}`,
    lines: [
      { account: { house: 'chain' }, currency: d.currency, amount: -d.amount },
      { account: balance(d.accountId), currency: d.currency, amount: d.amount },
    ],
  };
}

/**
 * Order settlement: the crypto that arrived (house chain) is converted through house fx; the
 * partner's EUR balance is credited `credited` (locked rate) and house fees takes the rest of its
 * mid-rate value `gross` (`orderSettlement` in ./fees.ts).
 */
export function orderSettlementPosting(o: {
  partnerId: string; orderId: string; partnerEurAccountId: string; currency: CurrencyCode;
  received: bigint; gross: bigint; credited: bigint;
}): PostingInput {
  return {
    partnerId: o.partnerId, kind: 'order', refId: o.orderId,
    description: `Order ${o.orderId}: ${o.currency} payment converted to EUR`,
    lines: conversionLines(o.currency, o.received, o.gross, o.credited, o.partnerEurAccountId),
  };
}

/**
 * Payment link settlement of one on-chain transfer, as an order's: the crypto converted through
 * house fx, `credited` (quoted or current rate) to the EUR balance that collects the link, the
 * rest of its mid-rate value `gross` to house fees. The posting's id is the transfer's row id, so
 * a transfer can never be posted twice.
 */
export function paymentLinkSettlementPosting(p: {
  postingId: string; partnerId: string; linkId: string; eurAccountId: string; currency: CurrencyCode;
  received: bigint; gross: bigint; credited: bigint; transactionHash: string;
}): PostingInput {
  return {
    id: p.postingId, partnerId: p.partnerId, kind: 'payment_link', refId: p.linkId,
    description: `Payment link ${p.linkId}: ${p.currency} transfer ${p.transactionHash} converted to EUR`,
    lines: conversionLines(p.currency, p.received, p.gross, p.credited, p.eurAccountId),
  };
}

/** Crypto that arrived (house chain) converted through house fx into EUR for one balance, the fee to house fees. */
function conversionLines(currency: CurrencyCode, received: bigint, gross: bigint, credited: bigint, eurAccountId: string) {
  return [
    { account: { house: 'chain' as const }, currency, amount: -received },
    { account: { house: 'fx' as const }, currency, amount: received },
    { account: { house: 'fx' as const }, currency: 'eur' as const, amount: -gross },
    { account: { house: 'fees' as const }, currency: 'eur' as const, amount: gross - credited },
    { account: balance(eurAccountId), currency: 'eur' as const, amount: credited },
  ];
}

/** A payment to an order's address that is not the order's own: credited to the partner as it is. */
export function orderExtraPaymentPosting(o: {
  partnerId: string; orderId: string; cryptoDepositId: string; partnerAccountId: string; currency: CurrencyCode; amount: bigint;
}): PostingInput {
  return {
    partnerId: o.partnerId, kind: 'order', refId: o.orderId,
    description: `Extra payment to order ${o.orderId} (deposit ${o.cryptoDepositId}), credited unconverted`,
    lines: [
      { account: { house: 'chain' }, currency: o.currency, amount: -o.amount },
      { account: balance(o.partnerAccountId), currency: o.currency, amount: o.amount },
    ],
  };
}

/**
 * User deletion: every non-zero balance of the user is swept to the partner's balance of the same
 * currency, in one posting. Undefined when there is nothing to sweep. The balances must have been
 * read under lock (`lockAccounts`), so `posted` is what moves.
 */
export function sweepOnDeletion(d: {
  partnerId: string; userId: string; externalUserId: string;
  userBalances: Pick<AccountRow, 'id' | 'currency' | 'posted'>[];
  partnerBalances: Pick<AccountRow, 'id' | 'currency'>[];
}): PostingInput | undefined {
  const lines = d.userBalances.filter((a) => a.posted !== 0n).flatMap((account) => {
    const partnerAccount = d.partnerBalances.find((a) => a.currency === account.currency);
    if (!partnerAccount) throw new Error(`partner ${d.partnerId} has no ${account.currency} balance`);
    return [
      { account: balance(account.id), currency: account.currency, amount: -account.posted },
      { account: balance(partnerAccount.id), currency: account.currency, amount: account.posted },
    ];
  });
  if (!lines.length) return undefined;
  return {
    partnerId: d.partnerId, kind: 'user_deletion', refId: d.userId,
    description: `Balances of deleted user ${d.externalUserId}`, lines,
  };
}

// ---------------------------------------------------------------------------------------------
// Operations that reserve first: the hold, the posting that settles it, the void that undoes it.

export interface SepaTransferMoney {
  partnerId: string;
  transferId: string;
  /** The payer's EUR balance. */
  accountId: string;
  amount: bigint;
  /** `sepaTransferFee`, charged on top. */
  fee: bigint;
}

/** SEPA transfer created: amount + fee reserved on the payer's balance (P433 when short). */
export function holdSepaTransfer(q: Queryable, t: SepaTransferMoney): Promise<string> {
  return hold(q, { accountId: t.accountId, amount: t.amount + t.fee, kind: 'sepa_transfer', refId: t.transferId });
}

/**
 * SEPA transfer settled: the hold posted, payer -> house sepa (amount, to the outside bank) and
 * house fees (fee). Null when the hold was already resolved.
 */
export function settleSepaTransfer(q: Queryable, holdId: string, t: SepaTransferMoney & { destinationIban: string }): Promise<string | null> {
  return postHold(q, holdId, {
    partnerId: t.partnerId, kind: 'sepa_transfer', refId: t.transferId,
    description: `SEPA to ${t.destinationIban}`,
    lines: [
      { account: balance(t.accountId), currency: 'eur', amount: -(t.amount + t.fee) },
      { account: { house: 'sepa' }, currency: 'eur', amount: t.amount },
      { account: { house: 'fees' }, currency: 'eur', amount: t.fee },
    ],
  });
}

/** SEPA transfer failed: the hold voided, amount and fee available again (no fee is charged). */
export function voidSepaTransfer(q: Queryable, holdId: string): Promise<boolean> {
  return voidHold(q, holdId);
}

export interface CryptoWithdrawalMoney {
  partnerId: string;
  withdrawalId: string;
  /** The payer's balance in `currency`. */
  accountId: string;
  currency: CurrencyCode;
  /** What the recipient gets. */
  amount: bigint;
  /** `cryptoWithdrawalFees`, both charged on top. */
  serviceFee: bigint;
  networkFee: bigint;
}

/** Crypto withdrawal created: amount + service fee + network fee reserved (P433 when short). */
export function holdCryptoWithdrawal(q: Queryable, w: CryptoWithdrawalMoney): Promise<string> {
  return hold(q, {
    accountId: w.accountId, amount: w.amount + w.serviceFee + w.networkFee, kind: 'crypto_withdrawal', refId: w.withdrawalId,
  });
}

/**
 * Crypto withdrawal confirmed: the hold posted, payer -> house chain (amount + network fee, what
 * leaves on the network) and house fees (service fee). Null when the hold was already resolved.
 */
export function settleCryptoWithdrawal(q: Queryable, holdId: string, w: CryptoWithdrawalMoney & { destination: string }): Promise<string | null> {
  return postHold(q, holdId, {
    partnerId: w.partnerId, kind: 'crypto_withdrawal', refId: w.withdrawalId,
    description: `${w.currency} withdrawal to ${w.destination}`,
    lines: [
      { account: balance(w.accountId), currency: w.currency, amount: -(w.amount + w.serviceFee + w.networkFee) },
      { account: { house: 'chain' }, currency: w.currency, amount: w.amount + w.networkFee },
      { account: { house: 'fees' }, currency: w.currency, amount: w.serviceFee },
    ],
  });
}

/** Crypto withdrawal rejected by the network: the hold voided, nothing charged. */
export function voidCryptoWithdrawal(q: Queryable, holdId: string): Promise<boolean> {
  return voidHold(q, holdId);
}

/**
 * Card fee: the monthly fee of one card from the partner's EUR balance to house fees (P433 when
 * the partner is short: the fee job then waits and retries).
 */
export function cardFeePosting(f: { partnerId: string; cardId: string; partnerEurAccountId: string; fee: bigint; description: string }): PostingInput {
  return {
    partnerId: f.partnerId, kind: 'card_fee', refId: f.cardId, description: f.description,
    lines: [
      { account: balance(f.partnerEurAccountId), currency: 'eur', amount: -f.fee },
      { account: { house: 'fees' }, currency: 'eur', amount: f.fee },
    ],
  };
}

export interface CardAuthorizationMoney {
  partnerId: string;
  authorizationId: string;
  /** The cardholder's EUR balance. */
  accountId: string;
  /** What history shows: masked card and merchant. */
  description: string;
}

/** Card authorization approved: the amount held on the cardholder's EUR balance (P433 when short). */
export function holdCardAuthorization(q: Queryable, a: CardAuthorizationMoney & { amount: bigint }): Promise<string> {
  return hold(q, { accountId: a.accountId, amount: a.amount, kind: 'card_authorization', refId: a.authorizationId });
}

/** Incremental authorization: more held on the same hold (P433 when short); false when no longer pending. */
export function incrementCardAuthorization(q: Queryable, holdId: string, amount: bigint): Promise<boolean> {
  return increaseHold(q, holdId, amount);
}

/**
 * Card capture, full or partial: `amount` (at most the held amount) posted from the cardholder to
 * house cards (the card network), the rest released. Null when the hold was already resolved.
 */
export function captureCardAuthorization(q: Queryable, holdId: string, a: CardAuthorizationMoney & { amount: bigint }): Promise<string | null> {
  return captureHold(q, holdId, {
    partnerId: a.partnerId, kind: 'card_transaction', refId: a.authorizationId, description: a.description,
    accountId: a.accountId, amount: a.amount, to: { house: 'cards' }, currency: 'eur',
  });
}

/** Card reversal: in part (the rest stays held) or in full (the hold voided). */
export function reverseCardAuthorization(q: Queryable, holdId: string, amount: bigint | 'all'): Promise<boolean> {
  return amount === 'all' ? voidHold(q, holdId) : releaseHoldPart(q, holdId, amount);
}

/** Card refund after a capture: house cards credits the cardholder (a new posting, no hold). */
export function cardRefundPosting(a: CardAuthorizationMoney & { amount: bigint }): PostingInput {
  return {
    partnerId: a.partnerId, kind: 'card_refund', refId: a.authorizationId, description: a.description,
    lines: [
      { account: { house: 'cards' }, currency: 'eur', amount: -a.amount },
      { account: balance(a.accountId), currency: 'eur', amount: a.amount },
    ],
  };
}
