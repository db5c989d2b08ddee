import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';

export interface UserRow {
  id: string;
  partner_id: string;
  external_user_id: string;
  model: 'KYC' | 'NON_KYC';
  status: string;
  profile: Record<string, any>;
  address_index: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export const USER_SUSPENDED = 'SUSPENDED';

/**
 * The partner's user with this externalUserId: P412 when unknown (or another partner's),
 * P610 when deleted, and P455 when suspended and `moveMoney` is set.
 * `forUpdate` locks the row for the rest of the transaction.
 */
export async function requireUser(
  q: Queryable,
  partnerId: string,
  externalUserId: string,
  opts: { moveMoney?: boolean; forUpdate?: boolean } = {},
): Promise<UserRow> {
  const [user] = await q.query<UserRow>(
    `SELECT * FROM users WHERE partner_id = $1 AND external_user_id = $2${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [partnerId, externalUserId],
  );
  if (!user) throw new ApiError('P412');
  if (user.deleted_at) throw new ApiError('P610');
  if (opts.moveMoney && user.status === USER_SUSPENDED) throw new ApiError('P455');
  return user;
}
