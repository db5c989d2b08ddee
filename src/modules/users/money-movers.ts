import type { CurrencyCode } from '../../kernel/currencies.js';
import type { MoverSide } from '../../money/refusals.js';

/**
 * For money movements that skip reading their balances (internal transfers): the ids of a
 * balance, remembered. The status checks are then made by the write statement itself
 * (`moneyMoverGuard` in src/money/refusals.ts, from the same list as the checks in code).
 */

/** A balance of the partner (`userId` null) or of one of its users. */
export type BalanceIds = MoverSide;

/**
 * The ids behind (partner, externalUserId or the partner itself, currency). They never change once
 * they exist: a deleted user's externalUserId stays taken and balances keep their ids. So any
 * process may remember them for good; statuses, which do change, are checked by `moneyMoverGuard`.
 * Keys start with the partner id, so partners never share an entry.
 */
const knownIds = new Map<string, BalanceIds>();
const MAX_KNOWN = 100_000;
const keyOf = (partnerId: string, externalUserId: string | null, currency: CurrencyCode) =>
  `${partnerId}\n${currency}\n${externalUserId === null ? '' : `user:${externalUserId}`}`;

export function knownBalance(partnerId: string, externalUserId: string | null, currency: CurrencyCode): BalanceIds | undefined {
  return knownIds.get(keyOf(partnerId, externalUserId, currency));
}

export function rememberBalance(partnerId: string, externalUserId: string | null, currency: CurrencyCode, ids: BalanceIds): void {
  if (knownIds.size >= MAX_KNOWN) knownIds.clear();
  knownIds.set(keyOf(partnerId, externalUserId, currency), ids);
}
