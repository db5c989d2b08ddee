import type { CurrencyCode } from '../../kernel/currencies.js';
import { ApiError, type ErrorCode } from '../../kernel/errors.js';
import type { SqlPart } from '../../kernel/sql.js';
import { USER_REJECTED, USER_SUSPENDED } from './service.js';

/**
 * For money movements that skip reading their balances (internal transfers): the ids of a
 * balance, remembered, and the status checks made by the write statement itself.
 */

/** A balance of the partner (`userId` null) or of one of its users. */
export interface BalanceIds {
  userId: string | null;
  accountId: string;
}

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

const REFUSED = 'money mover refused:';

/**
 * The checks that `requireUserAccounts(..., { moveMoney: true })` and `assertUsable` make in code,
 * as a part of a write statement. It yields one row whose `verdict` is 0, or fails with a
 * deliberate cast error naming the error code, which aborts the whole statement:
 * - P412: a balance or its user cannot be found;
 * - P610: the user was deleted;
 * - P455: the user is suspended;
 * - P459: the user's KYC was rejected;
 * - P612: the balance is not ACTIVE.
 * Keep the two in step; the transfer tests refuse a remembered user for each status that can
 * change. Pass it as the posting's `guard`: the ledger tests `verdict` before it locks a balance.
 */
export function moneyMoverGuard(balances: BalanceIds[]): SqlPart {
  return {
    name: 'money_mover_guard',
    // Each message concatenates a column: a constant cast would be folded, and fail, at planning.
    text: `SELECT CASE WHEN count(*) <> $3 THEN ('${REFUSED} P412 ' || count(*))::int
                       ELSE max(CASE
                         WHEN s.user_id IS NOT NULL AND u.id IS NULL THEN ('${REFUSED} P412 ' || s.user_id)::int
                         WHEN u.deleted_at IS NOT NULL THEN ('${REFUSED} P610 ' || u.id)::int
                         WHEN u.status = '${USER_SUSPENDED}' THEN ('${REFUSED} P455 ' || u.id)::int
                         WHEN u.status = '${USER_REJECTED}' THEN ('${REFUSED} P459 ' || u.id)::int
                         WHEN a.status <> 'ACTIVE' THEN ('${REFUSED} P612 ' || a.id)::int
                         ELSE 0 END) END AS verdict
           FROM unnest((SELECT $1::uuid[]), (SELECT $2::uuid[])) AS s(account_id, user_id)
           JOIN accounts a ON a.id = s.account_id
           LEFT JOIN users u ON u.id = s.user_id AND u.id = a.user_id`,
    values: [balances.map((b) => b.accountId), balances.map((b) => b.userId), balances.length],
  };
}

const REFUSAL_CODES = ['P412', 'P610', 'P455', 'P459', 'P612'] as const satisfies readonly ErrorCode[];

/** The ApiError a `moneyMoverGuard` refusal stands for; undefined for any other error. */
export function refusalOf(error: any): ApiError | undefined {
  if (error?.code !== '22P02') return undefined;
  const code = REFUSAL_CODES.find((c) => String(error.message).includes(`${REFUSED} ${c} `));
  if (!code) return undefined;
  return code === 'P459' ? new ApiError('P459', 'User not verified: KYC was rejected') : new ApiError(code);
}
