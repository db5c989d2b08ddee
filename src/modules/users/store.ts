import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { CardStatus, HoldStatus, type SuspendableUserStatus, type UserStatus } from '../../kernel/statuses.js';
import type { UserRow } from './types.js';

/** SQL of the users table. */

const isUniqueViolationOnExternalId = (error: any) =>
  error?.code === '23505' && String(error?.constraint ?? error?.detail ?? error?.message ?? '').includes('external_user_id');

/**
 * Inserts a user. A reused externalUserId (also a deleted user's) is P411, decided by the unique
 * index, not by a prior read, so two concurrent creates cannot both succeed.
 */
export async function insertUser(
  q: Queryable,
  row: Pick<UserRow, 'id' | 'partner_id' | 'external_user_id' | 'model' | 'status' | 'profile' | 'address_index'>,
  now: Date,
): Promise<UserRow> {
  try {
    const [user] = await q.query<UserRow>(
      `INSERT INTO users (id, partner_id, external_user_id, model, status, profile, address_index, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
      [row.id, row.partner_id, row.external_user_id, row.model, row.status, JSON.stringify(row.profile), row.address_index, now],
    );
    return user;
  } catch (error) {
    if (isUniqueViolationOnExternalId(error)) throw new ApiError('P411');
    throw error;
  }
}

export async function updateProfile(q: Queryable, userId: string, profile: Record<string, unknown>, now: Date): Promise<UserRow> {
  const [user] = await q.query<UserRow>(
    'UPDATE users SET profile = $2, updated_at = $3 WHERE id = $1 RETURNING *',
    [userId, JSON.stringify(profile), now],
  );
  return user;
}

export async function setStatus(
  q: Queryable,
  userId: string,
  status: UserStatus,
  now: Date,
  extra: { statusBeforeSuspension?: SuspendableUserStatus | null; deleted?: boolean; kycDecided?: boolean } = {},
): Promise<UserRow> {
  const [user] = await q.query<UserRow>(
    `UPDATE users SET status = $2, updated_at = $3,
       status_before_suspension = CASE WHEN $4::boolean THEN $5 ELSE status_before_suspension END,
       deleted_at = CASE WHEN $6::boolean THEN $3 ELSE deleted_at END,
       kyc_decided_at = CASE WHEN $7::boolean THEN $3 ELSE kyc_decided_at END
     WHERE id = $1 RETURNING *`,
    [userId, status, now, extra.statusBeforeSuspension !== undefined, extra.statusBeforeSuspension ?? null,
      extra.deleted ?? false, extra.kycDecided ?? false],
  );
  return user;
}

/** Pending holds on a user's balances (money reserved by an operation still in flight). */
export async function pendingHoldCount(q: Queryable, userId: string): Promise<number> {
  const [row] = await q.query<{ n: bigint }>(
    `SELECT count(*) AS n FROM holds h JOIN accounts a ON a.id = h.account_id
     WHERE a.user_id = $1 AND h.status = $2`,
    [userId, HoldStatus.PENDING],
  );
  return Number(row.n);
}

/**
 * A user's cards follow the user's lifecycle. The cards table belongs to the cards module, which
 * imports this module (requireUser), so this module cannot import it back (no cycles): these three
 * statements are the users module's only reach into it (docs/decisions.md, "Cards"). Each runs
 * after the user row is locked (lock order: user, then its cards).
 */
export async function suspendCards(q: Queryable, userId: string): Promise<void> {
  await q.query(
    `UPDATE cards SET status_before_suspension = status, status = '${CardStatus.SUSPENDED}'
     WHERE user_id = $1 AND status IN ('${CardStatus.ACTIVE}', '${CardStatus.LOCKED_BY_USER}', '${CardStatus.BLOCKED}')`,
    [userId],
  );
}

/** Unsuspend: every card the suspension interrupted gets its status back. */
export async function restoreCards(q: Queryable, userId: string): Promise<void> {
  await q.query(
    `UPDATE cards SET status = status_before_suspension, status_before_suspension = NULL
     WHERE user_id = $1 AND status = '${CardStatus.SUSPENDED}' AND status_before_suspension IS NOT NULL`,
    [userId],
  );
}

/** Deletion: every card of the user is DELETED (final). */
export async function deleteCards(q: Queryable, userId: string, now: Date): Promise<void> {
  await q.query(
    `UPDATE cards SET status = '${CardStatus.DELETED}', status_before_suspension = NULL, deleted_at = $2
     WHERE user_id = $1 AND status <> '${CardStatus.DELETED}'`,
    [userId, now],
  );
}
