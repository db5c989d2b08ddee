import type { Queryable } from '../kernel/db.js';
import type { CurrencyCode } from '../kernel/currencies.js';
import { newId } from '../kernel/ids.js';
import { BalanceStatus } from '../kernel/statuses.js';

export interface Owner {
  partnerId: string;
  /** Absent for the partner's own (master) balances. */
  userId?: string | null;
}

export interface AccountRow {
  id: string;
  owner_type: 'partner' | 'user' | 'house';
  partner_id: string | null;
  user_id: string | null;
  currency: CurrencyCode;
  posted: bigint;
  pending_debits: bigint;
  status: BalanceStatus;
  iban: string | null;
  created_at: Date;
}

export async function openAccount(
  q: Queryable,
  owner: Owner,
  currency: CurrencyCode,
  opts: { status?: BalanceStatus; iban?: string | null } = {},
): Promise<string> {
  const id = newId();
  await q.query(
    `INSERT INTO accounts (id, owner_type, partner_id, user_id, currency, status, iban)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [id, owner.userId ? 'user' : 'partner', owner.partnerId, owner.userId ?? null, currency, opts.status ?? BalanceStatus.ACTIVE, opts.iban ?? null],
  );
  return id;
}

/** Every balance of an owner, in a stable order. */
export async function listAccounts(q: Queryable, owner: Owner): Promise<AccountRow[]> {
  return owner.userId
    ? q.query<AccountRow>(`SELECT * FROM accounts WHERE owner_type = 'user' AND user_id = $1 ORDER BY created_at, id`, [owner.userId])
    : q.query<AccountRow>(`SELECT * FROM accounts WHERE owner_type = 'partner' AND partner_id = $1 ORDER BY created_at, id`, [owner.partnerId]);
}

export async function findAccount(q: Queryable, owner: Owner, currency: CurrencyCode): Promise<AccountRow | undefined> {
  const [row] = owner.userId
    ? await q.query<AccountRow>(`SELECT * FROM accounts WHERE owner_type = 'user' AND user_id = $1 AND currency = $2`, [owner.userId, currency])
    : await q.query<AccountRow>(`SELECT * FROM accounts WHERE owner_type = 'partner' AND partner_id = $1 AND currency = $2`, [owner.partnerId, currency]);
  return row;
}

/**
 * Locks balances for the rest of the transaction, in id order (the order every posting locks
 * in), FOR NO KEY UPDATE, and returns them as they are now. For a transaction that changes
 * several balances in more than one statement (a user's deletion: the sweep, then every balance
 * closed): it locks them all here first, so it never holds one balance while waiting for another
 * (docs/decisions.md, "Lock order").
 */
export async function lockAccounts(q: Queryable, accountIds: string[]): Promise<AccountRow[]> {
  return q.query<AccountRow>('SELECT * FROM accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE', [accountIds]);
}

/** Status and IBAN of a balance (activation of a KYC user's fiat balance). Not an amount. */
export async function setAccountStatus(q: Queryable, accountId: string, status: BalanceStatus, iban?: string): Promise<void> {
  await q.query('UPDATE accounts SET status = $2, iban = coalesce($3, iban) WHERE id = $1', [accountId, status, iban ?? null]);
}

export const available = (a: Pick<AccountRow, 'posted' | 'pending_debits'>): bigint => a.posted - a.pending_debits;
