import type { CurrencyCode } from '../kernel/currencies.js';
import type { Queryable } from '../kernel/db.js';
import { ApiError, type ErrorCode } from '../kernel/errors.js';
import type { SqlPart } from '../kernel/sql.js';
import { BalanceStatus, UserStatus } from '../kernel/statuses.js';
import { findAccount, type Owner } from '../ledger/index.js';

/**
 * "May this balance move money?", answered once. A money movement is refused for the first entry
 * of REFUSALS that applies to one of its sides, in this order of precedence: the user behind a
 * balance first, then the balance itself. With two sides (a transfer), every side's user comes
 * before any side's balance, the source before the destination: (subject, side, rank).
 *
 * Both checks are made from this one list:
 * - in code (`userRefusal`, `balanceRefusal`, `assertUserMayMoveMoney`, `usableBalance`), where
 *   an operation reads its user and balance anyway: SEPA transfers, crypto withdrawals, exchanges,
 *   a transfer's first read, deposits (balance refusals only: a payment from outside is not
 *   refused for its user's status);
 * - in SQL (`moneyMoverGuard`), as the guard of a posting whose balance ids are remembered (an
 *   internal transfer after its sides' first one): the statement evaluates it before it locks any
 *   balance, and `refusalOf` turns its failure back into the same ApiError.
 * test/money/refusals.test.ts makes every entry happen on both paths and expects the same code.
 */

/** What the checks read of a user: undefined when there is no such user. */
export interface UserFacts {
  status: UserStatus | string;
  deleted_at: Date | null;
}

/** What the checks read of a balance: undefined when the owner has none in the currency. */
export interface BalanceFacts {
  status: BalanceStatus | string;
}

interface RefusalBase {
  /** Stable name; also what the SQL guard's error carries. */
  name: string;
  code: ErrorCode;
  /** The errorMessage, when not the code's own. */
  message?: (currency: CurrencyCode) => string | undefined;
}

export interface UserRefusal extends RefusalBase {
  subject: 'user';
  refuses: (user: UserFacts | undefined) => boolean;
  /** The same test in SQL over `u` (users, LEFT JOINed: all NULL when missing). */
  sql: string;
}

export interface BalanceRefusal extends RefusalBase {
  subject: 'balance';
  refuses: (balance: BalanceFacts | undefined) => boolean;
  /** The same test in SQL over `a` (accounts, LEFT JOINed: all NULL when missing). */
  sql: string;
}

export type Refusal = UserRefusal | BalanceRefusal;

/** In order of precedence; each entry is tested only when none before it applied. */
export const REFUSALS: readonly Refusal[] = [
  { subject: 'user', name: 'user_missing', code: 'P412', refuses: (u) => u === undefined, sql: 'u.id IS NULL' },
  { subject: 'user', name: 'user_deleted', code: 'P610', refuses: (u) => !!u?.deleted_at, sql: 'u.deleted_at IS NOT NULL' },
  {
    subject: 'user', name: 'user_suspended', code: 'P455',
    refuses: (u) => u?.status === UserStatus.SUSPENDED, sql: `u.status = '${UserStatus.SUSPENDED}'`,
  },
  {
    subject: 'user', name: 'user_not_verified', code: 'P459', message: () => 'User not verified: KYC was rejected',
    refuses: (u) => u?.status === UserStatus.REJECTED, sql: `u.status = '${UserStatus.REJECTED}'`,
  },
  {
    subject: 'balance', name: 'balance_missing', code: 'P611', message: (currency) => `No ${currency} balance`,
    refuses: (a) => a === undefined, sql: 'a.id IS NULL',
  },
  {
    subject: 'balance', name: 'balance_closed', code: 'P610',
    refuses: (a) => a?.status === BalanceStatus.CLOSED, sql: `a.status = '${BalanceStatus.CLOSED}'`,
  },
  {
    subject: 'balance', name: 'balance_not_active', code: 'P612',
    message: (currency) => (currency === 'eur' ? undefined : `The ${currency} balance is not active`),
    refuses: (a) => a?.status !== BalanceStatus.ACTIVE, sql: `a.status <> '${BalanceStatus.ACTIVE}'`,
  },
];

const USER_REFUSALS = REFUSALS.filter((r): r is UserRefusal => r.subject === 'user');
const BALANCE_REFUSALS = REFUSALS.filter((r): r is BalanceRefusal => r.subject === 'balance');

/** The first user refusal that applies, if any. */
export const userRefusal = (user: UserFacts | undefined): UserRefusal | undefined => USER_REFUSALS.find((r) => r.refuses(user));

/** The first balance refusal that applies, if any. */
export const balanceRefusal = (balance: BalanceFacts | undefined): BalanceRefusal | undefined =>
  BALANCE_REFUSALS.find((r) => r.refuses(balance));

/** The error a refusal answers. `currency` only shapes the message of balance refusals. */
export const refusalError = (refusal: Refusal, currency: CurrencyCode = 'eur'): ApiError =>
  new ApiError(refusal.code, refusal.message?.(currency));

/** Throws the user's first refusal (P412, P610, P455, P459); the user otherwise. */
export function assertUserMayMoveMoney<U extends UserFacts>(user: U | undefined): U {
  const refusal = userRefusal(user);
  if (refusal) throw refusalError(refusal);
  return user!;
}

/** Throws the balance's first refusal (P611, P610, P612); the balance otherwise. */
export function assertBalanceMayMoveMoney<A extends BalanceFacts>(balance: A | undefined, currency: CurrencyCode): A {
  const refusal = balanceRefusal(balance);
  if (refusal) throw refusalError(refusal, currency);
  return balance!;
}

/** The owner's balance in `currency`, if it may move money (debited or credited side). */
export async function usableBalance(q: Queryable, owner: Owner, currency: CurrencyCode) {
  return assertBalanceMayMoveMoney(await findAccount(q, owner, currency), currency);
}

/** One side of a money movement whose ids are known: a balance, and its user (null: the partner's). */
export interface MoverSide {
  userId: string | null;
  accountId: string;
}

const REFUSED = 'money mover refused:';
const FIRST_BALANCE_RANK = REFUSALS.findIndex((r) => r.subject === 'balance');

/**
 * REFUSALS as a part of a write statement, for sides whose ids are remembered: it yields one row
 * whose `verdict` is 0, or fails with a deliberate cast error naming the refusal, which aborts the
 * whole statement. The rank of each side's first refusal is the list's CASE; the one reported is
 * the first by (subject, side, rank), as the code path finds it. Pass it as the posting's `guard`:
 * the ledger tests `verdict` before it locks a balance. `refusalOf` maps the error back.
 */
export function moneyMoverGuard(sides: MoverSide[]): SqlPart {
  const ranks = REFUSALS.map((r, rank) =>
    `WHEN ${r.subject === 'user' ? `s.user_id IS NOT NULL AND ${r.sql}` : r.sql} THEN ${rank}`).join('\n                 ');
  const names = REFUSALS.map((r) => `'${r.name}'`).join(', ');
  return {
    name: 'money_mover_guard',
    // The message concatenates columns: a constant cast would be folded, and fail, at planning.
    // One aggregate, no sort: each side's first refusal gets a key ordered as the precedence
    // (every side's user before any side's balance, then by side, then by the list's order); the
    // smallest is decoded into the refusal's name and side and cast once. The side numbers come as
    // a third array: WITH ORDINALITY cost a third more of PostgreSQL's CPU per transfer (bench).
    text: `SELECT CASE WHEN min(r.k) IS NULL THEN 0
                       ELSE ('${REFUSED} ' || (ARRAY[${names}])[min(r.k) % 100 + 1] || ' side ' || (min(r.k) / 100) % 100)::int END AS verdict
           FROM (
             SELECT (CASE WHEN x.rank >= ${FIRST_BALANCE_RANK} THEN 10000 ELSE 0 END) + x.side * 100 + x.rank AS k
             FROM (
               SELECT s.side, CASE
                 ${ranks}
                 END AS rank
               FROM unnest((SELECT $1::uuid[]), (SELECT $2::uuid[]), (SELECT $3::int[])) AS s(account_id, user_id, side)
               LEFT JOIN users u ON u.id = s.user_id
               LEFT JOIN accounts a ON a.id = s.account_id AND a.user_id IS NOT DISTINCT FROM s.user_id) x
             WHERE x.rank IS NOT NULL) r`,
    values: [sides.map((s) => s.accountId), sides.map((s) => s.userId), sides.map((_, i) => i + 1)],
  };
}

/** The ApiError a `moneyMoverGuard` refusal stands for; undefined for any other error. */
export function refusalOf(error: any, currency: CurrencyCode): ApiError | undefined {
  if (error?.code !== '22P02') return undefined;
  const refusal = REFUSALS.find((r) => String(error.message).includes(`${REFUSED} ${r.name} side `));
  return refusal && refusalError(refusal, currency);
}
