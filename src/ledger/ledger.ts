import { ApiError } from '../kernel/errors.js';
import type { Queryable } from '../kernel/db.js';
import type { CurrencyCode } from '../kernel/currencies.js';
import { newId } from '../kernel/ids.js';
import { composeStatement, type SqlPart } from '../kernel/sql.js';
import { BalanceStatus, HoldStatus } from '../kernel/statuses.js';
import { randomHouseAccountId, type HouseKind } from './house.js';

/**
 * The ledger: the only code that writes balances. Every change is a posting whose lines sum to
 * zero per currency. A line's amount is signed: positive credits the account, negative debits it.
 * Partner and user accounts can never go below zero available (posted - pending_debits); house
 * accounts can. A CLOSED account (its user was deleted and its money swept) takes no credit (P610).
 * What each operation posts is written in src/money/postings.ts; who may move money, in
 * src/money/refusals.ts (a posting's `guard`).
 */

export type AccountRef = { accountId: string } | { house: HouseKind };

export interface Line {
  account: AccountRef;
  currency: CurrencyCode;
  amount: bigint;
}

export interface PostingInput {
  /** Set when a row written alongside must name the posting; generated otherwise. */
  id?: string;
  partnerId: string | null;
  /** What moved the money: 'exchange', 'transfer', 'sepa_deposit', ... (history's `type`). */
  kind: string;
  refId?: string;
  description?: string;
  lines: Line[];
  /**
   * When it happened, on the partner's clock (history shows it): the business row's own timestamp,
   * so a transfer's details, history and webhook agree to the millisecond. Default: now on the
   * partner's clock (partners.clock_offset_ms; the wall clock when partnerId is null).
   */
  at?: Date;
  /**
   * Checks made by the posting's own statement before it touches a balance: a part yielding one
   * row whose `verdict` is 0, or failing with an error of its own (which then comes before any
   * error of the ledger's).
   */
  guard?: SqlPart;
}

interface ResolvedLine {
  accountId: string;
  house: boolean;
  currency: CurrencyCode;
  amount: bigint;
  /** Held funds this posting releases from the account's pending debits (postHold). */
  release: bigint;
}

function resolve(lines: Line[]): ResolvedLine[] {
  const sums = new Map<string, bigint>();
  for (const line of lines) {
    if (line.amount === 0n) continue;
    sums.set(line.currency, (sums.get(line.currency) ?? 0n) + line.amount);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0n) throw new Error(`unbalanced posting: ${currency} lines sum to ${sum}`);
  }
  // Merge lines on the same account so each row is updated once.
  const merged = new Map<string, ResolvedLine>();
  for (const line of lines) {
    if (line.amount === 0n) continue;
    const house = 'house' in line.account;
    const accountId = 'house' in line.account
      ? randomHouseAccountId(line.account.house, line.currency)
      : line.account.accountId;
    const key = `${accountId}:${line.currency}`;
    const prior = merged.get(key);
    if (prior) prior.amount += line.amount;
    else merged.set(key, { accountId, house, currency: line.currency, amount: line.amount, release: 0n });
  }
  return [...merged.values()].filter((l) => l.amount !== 0n);
}

const INSUFFICIENT = 'ledger: insufficient funds';
const MISSING = 'ledger: no such account';
const CLOSED = 'ledger: credit to a closed account';

/**
 * Applies a balanced posting in one statement: every account update (a debit only where the
 * available balance covers it), the posting and its lines. The accounts are locked in id order
 * first, so two postings never deadlock on each other, whatever plan the update gets. If any
 * debit is not covered (P433), or a credit reaches a closed account (P610), the statement fails as
 * a whole (a deliberate cast error), so nothing of it applies and the transaction is aborted: a
 * caller cannot half-apply a posting by catching the error.
 *
 * `alongside` are writes that must happen exactly when the posting does (the business row and its
 * event): they run inside the same statement, so a caller needs no transaction and one round trip.
 */
export async function post(q: Queryable, input: PostingInput, alongside: SqlPart[] = []): Promise<string> {
  return applyPosting(q, input, resolve(input.lines), alongside);
}

async function applyPosting(q: Queryable, input: PostingInput, lines: ResolvedLine[], alongside: SqlPart[] = []): Promise<string> {
  const postingId = input.id ?? newId();
  const guarded = input.guard ? ` AND (SELECT verdict FROM ${input.guard.name}) = 0` : '';
  const statement = composeStatement([
    ...(input.guard ? [input.guard] : []),
    ...alongside,
    {
      // Each array goes through a scalar sub-select: the planner then cannot see its length, so
      // the prepared statement keeps one generic plan instead of being planned again at every call
      // (planning was half a millisecond of PostgreSQL's time per posting).
      name: 'ledger_lines',
      text: `SELECT * FROM unnest((SELECT $1::uuid[]), (SELECT $2::uuid[]), (SELECT $3::text[]),
                                (SELECT $4::bigint[]), (SELECT $5::boolean[]), (SELECT $6::bigint[]))
               AS l(line_id, account_id, currency, amount, house, release)`,
      values: [
        lines.map(() => newId()), lines.map((l) => l.accountId), lines.map((l) => l.currency),
        lines.map((l) => l.amount.toString()), lines.map((l) => l.house), lines.map((l) => l.release.toString()),
      ],
    },
    {
      // Row locks in id order, whatever join the planner picks for the update. A locked row is its
      // latest version: a balance closed (its user deleted) while this statement waited is seen.
      // NO KEY UPDATE, the lock the update itself takes: it never blocks the KEY SHARE lock a
      // foreign key to the account (holds, posting lines, ...) takes in another transaction.
      name: 'ledger_locked',
      text: `SELECT a.id, a.status FROM accounts a WHERE a.id IN (SELECT account_id FROM ledger_lines)${guarded}
             ORDER BY a.id FOR NO KEY UPDATE`,
      values: [],
    },
    {
      name: 'ledger_found',
      text: `SELECT count(*)::int AS e,
                    count(*) FILTER (WHERE status = '${BalanceStatus.CLOSED}'
                                       AND id IN (SELECT account_id FROM ledger_lines WHERE amount > 0))::int AS closed
             FROM ledger_locked`,
      values: [],
    },
    {
      name: 'ledger_updated',
      text: `UPDATE accounts a SET posted = a.posted + l.amount, pending_debits = a.pending_debits - l.release
             FROM ledger_lines l, ledger_found
             WHERE a.id = l.account_id
               AND (CASE WHEN l.house THEN a.owner_type = 'house'
                         ELSE a.owner_type <> 'house'
                              AND (l.amount >= 0 OR a.posted - a.pending_debits + l.release + l.amount >= 0) END)
             RETURNING a.id`,
      values: [],
    },
    {
      // One clock for what a partner sees: the posting's time on the partner's clock.
      name: 'ledger_at',
      text: `SELECT coalesce($1::timestamptz,
                            now() + coalesce((SELECT clock_offset_ms FROM partners WHERE id = $2::uuid), 0) * interval '1 millisecond') AS at`,
      values: [input.at ?? null, input.partnerId],
    },
    {
      name: 'ledger_posting',
      text: `INSERT INTO postings (id, partner_id, kind, ref_id, description, created_at)
             SELECT $1, $2, $3, $4, $5, at FROM ledger_at`,
      values: [postingId, input.partnerId, input.kind, input.refId ?? null, input.description ?? null],
    },
    {
      name: 'ledger_posting_lines',
      text: `INSERT INTO posting_lines (id, posting_id, account_id, currency, amount, created_at)
             SELECT line_id, $1, account_id, currency, amount, (SELECT at FROM ledger_at) FROM ledger_lines`,
      values: [postingId],
    },
  ], `SELECT CASE WHEN closed > 0 THEN ('${CLOSED}: ' || n)::int
                  WHEN n = $1 THEN n
                  WHEN e < $1 THEN ('${MISSING}: ' || n)::int
                  ELSE ('${INSUFFICIENT}: ' || n)::int END AS applied
      FROM (SELECT count(*)::int AS n FROM ledger_updated) c, ledger_found`, [lines.length]);
  try {
    await q.query(statement.text, statement.values);
  } catch (error: any) {
    if (error?.code === '22P02' && String(error.message).includes(INSUFFICIENT)) throw new ApiError('P433');
    if (error?.code === '22P02' && String(error.message).includes(CLOSED)) throw new ApiError('P610');
    if (error?.code === '22P02' && String(error.message).includes(MISSING)) {
      throw new Error(`ledger: posting to an account that does not exist (${lines.map((l) => l.accountId).join(', ')})`);
    }
    throw error;
  }
  return postingId;
}

export interface HoldInput {
  accountId: string;
  amount: bigint;
  kind: string;
  refId?: string;
}

/** Reserves funds: available drops now, posted only when the hold is posted. Throws P433. */
export async function hold(q: Queryable, input: HoldInput): Promise<string> {
  if (input.amount <= 0n) throw new Error('hold amount must be positive');
  const rows = await q.query(
    `UPDATE accounts SET pending_debits = pending_debits + $1
     WHERE id = $2 AND owner_type <> 'house' AND posted - pending_debits >= $1 RETURNING id`,
    [input.amount, input.accountId],
  );
  if (rows.length === 0) throw new ApiError('P433');
  const holdId = newId();
  await q.query('INSERT INTO holds (id, account_id, amount, kind, ref_id) VALUES ($1, $2, $3, $4, $5)', [
    holdId, input.accountId, input.amount, input.kind, input.refId ?? null,
  ]);
  return holdId;
}

/**
 * Turns a hold into a posting. `lines` must include the debit of the held account (at most the
 * held amount; any rest is released). Returns null when the hold was already resolved, so a job
 * that runs twice moves money once.
 */
export async function postHold(q: Queryable, holdId: string, input: PostingInput): Promise<string | null> {
  const [held] = await q.query<{ account_id: string; amount: bigint }>(
    `UPDATE holds SET status = '${HoldStatus.POSTED}', resolved_at = now() WHERE id = $1 AND status = '${HoldStatus.PENDING}'
     RETURNING account_id, amount`,
    [holdId],
  );
  if (!held) return null;
  const lines = resolve(input.lines);
  const heldLine = lines.find((l) => l.accountId === held.account_id);
  if (!heldLine || heldLine.amount >= 0n) throw new Error('postHold: the posting must debit the held account');
  if (-heldLine.amount > held.amount) throw new Error('postHold: debit exceeds the held amount');
  // The release happens in the posting's statement, so the held account is locked in id order
  // with the others (no deadlock with concurrent postings).
  heldLine.release = held.amount;
  const postingId = await applyPosting(q, input, lines);
  await q.query('UPDATE holds SET posting_id = $1 WHERE id = $2', [postingId, holdId]);
  return postingId;
}

/** Gives held funds back. Returns false when the hold was already resolved. */
export async function voidHold(q: Queryable, holdId: string): Promise<boolean> {
  const [held] = await q.query<{ account_id: string; amount: bigint }>(
    `UPDATE holds SET status = '${HoldStatus.VOIDED}', resolved_at = now() WHERE id = $1 AND status = '${HoldStatus.PENDING}'
     RETURNING account_id, amount`,
    [holdId],
  );
  if (!held) return false;
  await q.query('UPDATE accounts SET pending_debits = pending_debits - $1 WHERE id = $2', [held.amount, held.account_id]);
  return true;
}

/**
 * Adds to a pending hold (a card authorization's increment), in one statement: the hold row is
 * locked, then its balance takes the extra only if its available balance covers it, then the hold
 * grows. P433 when short (nothing changed, the transaction goes on); false when the hold is no
 * longer pending.
 */
export async function increaseHold(q: Queryable, holdId: string, amount: bigint): Promise<boolean> {
  if (amount <= 0n) throw new Error('hold increase must be positive');
  const [result] = await q.query<{ pending: number; grown: number }>(
    `WITH h AS (SELECT account_id FROM holds WHERE id = $1 AND status = '${HoldStatus.PENDING}' FOR NO KEY UPDATE),
          a AS (UPDATE accounts SET pending_debits = pending_debits + $2
                WHERE id = (SELECT account_id FROM h) AND owner_type <> 'house' AND posted - pending_debits >= $2 RETURNING id),
          u AS (UPDATE holds SET amount = amount + $2 WHERE id = $1 AND EXISTS (SELECT 1 FROM a) RETURNING id)
     SELECT (SELECT count(*) FROM h)::int AS pending, (SELECT count(*) FROM u)::int AS grown`,
    [holdId, amount],
  );
  if (!result.pending) return false;
  if (!result.grown) throw new ApiError('P433');
  return true;
}

/**
 * Partial release of a pending hold (a partial reversal): `amount` is given back and the hold stays
 * pending with the rest. Releasing all of it is `voidHold`. Returns false when the hold is no
 * longer pending or holds no more than `amount` (nothing changes then).
 */
export async function releaseHoldPart(q: Queryable, holdId: string, amount: bigint): Promise<boolean> {
  if (amount <= 0n) throw new Error('released amount must be positive');
  const [held] = await q.query<{ account_id: string }>(
    `UPDATE holds SET amount = amount - $2 WHERE id = $1 AND status = '${HoldStatus.PENDING}' AND amount > $2 RETURNING account_id`,
    [holdId, amount],
  );
  if (!held) return false;
  await q.query('UPDATE accounts SET pending_debits = pending_debits - $1 WHERE id = $2', [amount, held.account_id]);
  return true;
}

/**
 * Partial or full capture: posts `amount` (at most what is held) of a pending hold from the held
 * account to `to`, and releases the rest. `postHold` with one debit line; null when the hold was
 * already resolved, so two captures racing move money once.
 */
export async function captureHold(
  q: Queryable,
  holdId: string,
  capture: { accountId: string; amount: bigint; to: AccountRef; currency: CurrencyCode } & Omit<PostingInput, 'lines'>,
): Promise<string | null> {
  const { accountId, amount, to, currency, ...posting } = capture;
  if (amount <= 0n) throw new Error('capture must be positive');
  return postHold(q, holdId, {
    ...posting,
    lines: [{ account: { accountId }, currency, amount: -amount }, { account: to, currency, amount }],
  });
}

export interface InvariantReport {
  balanced: boolean;
  /** Currencies whose balances do not sum to zero, with the sum in minor units. */
  unbalancedCurrencies: { currency: string; sum: string }[];
  /** Accounts whose posted balance differs from the sum of their lines. */
  driftedAccounts: string[];
  /** Holds whose account's pending_debits do not match the pending holds. */
  pendingMismatches: string[];
}

/** The ledger's invariants, checked by tests and reported by /health?ledger=true. */
export async function checkInvariant(q: Queryable): Promise<InvariantReport> {
  const unbalanced = await q.query<{ currency: string; sum: string }>(
    `SELECT currency, sum(posted)::text AS sum FROM accounts GROUP BY currency HAVING sum(posted) <> 0`,
  );
  const drifted = await q.query<{ id: string }>(
    `SELECT a.id FROM accounts a
     LEFT JOIN (SELECT account_id, sum(amount) AS s FROM posting_lines GROUP BY account_id) l ON l.account_id = a.id
     WHERE a.posted <> coalesce(l.s, 0)`,
  );
  const pending = await q.query<{ id: string }>(
    `SELECT a.id FROM accounts a
     LEFT JOIN (SELECT account_id, sum(amount) AS s FROM holds WHERE status = '${HoldStatus.PENDING}' GROUP BY account_id) h
       ON h.account_id = a.id
     WHERE a.pending_debits <> coalesce(h.s, 0)`,
  );
  return {
    balanced: unbalanced.length === 0 && drifted.length === 0 && pending.length === 0,
    unbalancedCurrencies: unbalanced,
    driftedAccounts: drifted.map((r) => r.id),
    pendingMismatches: pending.map((r) => r.id),
  };
}
