import type { ExchangeStatus } from '../../kernel/statuses.js';
import type { Queryable } from '../../kernel/db.js';
import type { CurrencyCode } from '../../kernel/currencies.js';

/** SQL for rate locks and exchanges. Locks are shared with the orders module (purpose 'order'). */

export interface LockRow {
  id: string;
  partner_id: string;
  user_id: string | null;
  purpose: 'exchange' | 'order' | 'payment_link';
  currency_from: CurrencyCode;
  currency_to: CurrencyCode;
  network: string | null;
  amount_from: bigint;
  amount_to: bigint;
  fee: bigint;
  rate: string;
  mid_rate: string;
  fee_percent: string;
  expires_at: Date;
  used_at: Date | null;
  used_by: string | null;
  created_at: Date;
}

export interface ExchangeRow {
  id: string;
  partner_id: string;
  user_id: string | null;
  lock_id: string;
  currency_from: CurrencyCode;
  currency_to: CurrencyCode;
  amount_from: bigint;
  amount_to: bigint;
  fee: bigint;
  rate: string;
  status: ExchangeStatus;
  posting_id: string | null;
  created_at: Date;
  completed_at: Date | null;
  expires_at: Date;
  fee_percent: string;
  external_user_id: string | null;
}

export async function insertLock(q: Queryable, lock: Omit<LockRow, 'used_at' | 'used_by'>): Promise<void> {
  await q.query(
    `INSERT INTO fx_locks (id, partner_id, user_id, purpose, currency_from, currency_to, network, amount_from, amount_to,
       fee, rate, mid_rate, fee_percent, expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [
      lock.id, lock.partner_id, lock.user_id, lock.purpose, lock.currency_from, lock.currency_to, lock.network,
      lock.amount_from, lock.amount_to, lock.fee, lock.rate, lock.mid_rate, lock.fee_percent, lock.expires_at, lock.created_at,
    ],
  );
}

/** The partner's lock, locked for the rest of the transaction (so two requests cannot both use it). */
export async function lockForUse(q: Queryable, partnerId: string, lockId: string): Promise<LockRow | undefined> {
  const [row] = await q.query<LockRow>('SELECT * FROM fx_locks WHERE id = $1 AND partner_id = $2 FOR NO KEY UPDATE', [lockId, partnerId]);
  return row;
}

export async function markLockUsed(q: Queryable, lockId: string, usedBy: string, at: Date): Promise<void> {
  await q.query('UPDATE fx_locks SET used_at = $2, used_by = $3 WHERE id = $1', [lockId, at, usedBy]);
}

export async function insertExchange(q: Queryable, e: Omit<ExchangeRow, 'expires_at' | 'fee_percent' | 'external_user_id'>): Promise<void> {
  await q.query(
    `INSERT INTO exchanges (id, partner_id, user_id, lock_id, currency_from, currency_to, amount_from, amount_to, fee, rate,
       status, posting_id, created_at, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      e.id, e.partner_id, e.user_id, e.lock_id, e.currency_from, e.currency_to, e.amount_from, e.amount_to, e.fee, e.rate,
      e.status, e.posting_id, e.created_at, e.completed_at,
    ],
  );
}

/** One exchange of the partner: a partner-level one (`userLevel` false) or one of its users'. */
export async function findExchange(q: Queryable, partnerId: string, exchangeId: string, userLevel: boolean): Promise<ExchangeRow | undefined> {
  const [row] = await q.query<ExchangeRow>(
    `SELECT e.*, l.expires_at, l.fee_percent, u.external_user_id
     FROM exchanges e JOIN fx_locks l ON l.id = e.lock_id LEFT JOIN users u ON u.id = e.user_id
     WHERE e.id = $1 AND e.partner_id = $2 AND (e.user_id IS NOT NULL) = $3`,
    [exchangeId, partnerId, userLevel],
  );
  return row;
}
