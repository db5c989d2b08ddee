import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { findAccount, listAccounts, lockAccounts, openAccount, post, setAccountStatus, type AccountRow } from '../../ledger/index.js';
import type { CurrencyCode } from '../../kernel/currencies.js';
import { emitEvent } from '../../outbox/events.js';
import { enqueueJob } from '../../jobs/queue.js';
import { BalanceStatus, UserStatus, type SuspendableUserStatus } from '../../kernel/statuses.js';
import { assertUserMayMoveMoney } from '../../money/refusals.js';
import { sweepOnDeletion } from '../../money/postings.js';
import { issueIban, nextAddressIndex, openBalances } from '../balances/index.js';
import type { CreateUserInput, ProfileInput } from './schemas.js';
import { deleteCards, insertUser, pendingHoldCount, restoreCards, setStatus, suspendCards, updateProfile } from './store.js';
import type { UserRow } from './types.js';
import { normalizeProfile, requireCountry } from './validation.js';

export type { UserRow };

/**
 * The partner's user with this externalUserId: P412 when unknown (or another partner's),
 * P610 when deleted, and with `moveMoney` every user refusal of src/money/refusals.ts (P455 when
 * suspended, P459 when KYC was rejected).
 * `lock` locks the row for the rest of the transaction, FOR NO KEY UPDATE: it serializes the
 * user's status changes and hold-taking operations, and never blocks the KEY SHARE lock a foreign
 * key to the user takes (docs/decisions.md, "Lock order").
 */
export async function requireUser(
  q: Queryable,
  partnerId: string,
  externalUserId: string,
  opts: { moveMoney?: boolean; lock?: boolean } = {},
): Promise<UserRow> {
  const [user] = await q.query<UserRow>(
    `SELECT * FROM users WHERE partner_id = $1 AND external_user_id = $2${opts.lock ? ' FOR NO KEY UPDATE' : ''}`,
    [partnerId, externalUserId],
  );
  return checkUsable(user, opts);
}

/**
 * `requireUser` and the user's balance in `currency` for each of `externalUserIds`, read in one
 * query, for money-moving paths. Same errors as requireUser, checked in the order given; `account`
 * is undefined when the user has no such balance.
 */
export async function requireUserAccounts(
  q: Queryable,
  partnerId: string,
  externalUserIds: string[],
  currency: CurrencyCode,
  opts: { moveMoney?: boolean } = {},
): Promise<{ user: UserRow; account: AccountRow | undefined }[]> {
  const rows = await q.query<UserRow & Record<`account_${string}`, any>>(
    // One index probe per id: the LIMIT 1 lateral keeps the planner from scanning all the partner's
    // users or all balances in the currency when its statistics are stale.
    `SELECT r.* FROM unnest((SELECT $2::text[])) AS wanted(external_user_id)
     CROSS JOIN LATERAL (
       SELECT u.*, a.id AS account_id, a.posted AS account_posted, a.pending_debits AS account_pending_debits,
              a.status AS account_status, a.iban AS account_iban, a.created_at AS account_created_at
       FROM users u
       LEFT JOIN accounts a ON a.owner_type = 'user' AND a.user_id = u.id AND a.currency = $3
       WHERE u.partner_id = $1 AND u.external_user_id = wanted.external_user_id
       LIMIT 1) r`,
    [partnerId, externalUserIds, currency],
  );
  return externalUserIds.map((externalUserId) => {
    const row = rows.find((r) => r.external_user_id === externalUserId);
    const { account_id, account_posted, account_pending_debits, account_status, account_iban, account_created_at, ...user } =
      checkUsable(row, opts);
    const account: AccountRow | undefined = account_id
      ? {
          id: account_id, owner_type: 'user', partner_id: partnerId, user_id: user.id, currency,
          posted: account_posted, pending_debits: account_pending_debits, status: account_status,
          iban: account_iban, created_at: account_created_at,
        }
      : undefined;
    return { user: user as UserRow, account };
  });
}

function checkUsable<U extends UserRow>(user: U | undefined, opts: { moveMoney?: boolean }): U {
  if (opts.moveMoney) return assertUserMayMoveMoney(user);
  if (!user) throw new ApiError('P412');
  if (user.deleted_at) throw new ApiError('P610');
  return user;
}

async function changeStatus(q: Queryable, user: UserRow, status: UserStatus, now: Date, extra: Parameters<typeof setStatus>[4] = {}) {
  const updated = await setStatus(q, user.id, status, now, extra);
  await emitEvent(q, user.partner_id, 'user.status', { externalUserId: user.external_user_id, status });
  return updated;
}

/**
 * Creates a user with its balances: KYC users get crypto balances at once and a EUR balance that
 * waits for the KYC decision; non-KYC users get crypto and an active EUR balance without an IBAN.
 */
export async function createUser(
  q: Queryable,
  secretKey: string,
  partnerId: string,
  model: 'KYC' | 'NON_KYC',
  input: CreateUserInput,
  now: Date,
): Promise<UserRow> {
  const { externalUserId, ...fields } = input;
  const profile = normalizeProfile(fields, now);
  requireCountry(profile);
  const addressIndex = await nextAddressIndex(q);
  const status = model === 'KYC' ? UserStatus.WAITING_FOR_VERIFICATION : UserStatus.ACTIVE;
  const user = await insertUser(q, {
    id: newId(), partner_id: partnerId, external_user_id: externalUserId, model, status, profile, address_index: addressIndex,
  }, now);
  const owner = { partnerId, userId: user.id };
  if (model === 'KYC') {
    await openBalances(q, secretKey, owner, addressIndex, 'waiting');
  } else {
    await openBalances(q, secretKey, owner, addressIndex, 'none');
    await openAccount(q, owner, 'eur', { status: BalanceStatus.ACTIVE });
  }
  await emitEvent(q, partnerId, 'user.status', { externalUserId, status });
  return user;
}

/** Merges the given profile fields into the user's profile (same checks as at creation). */
export async function updateUser(q: Queryable, user: UserRow, input: ProfileInput, now: Date): Promise<UserRow> {
  const merged = { ...user.profile, ...normalizeProfile(input, now) };
  requireCountry(merged);
  return updateProfile(q, user.id, merged, now);
}

/**
 * Suspends the user and its cards: every card that is not deleted becomes SUSPENDED (and declines)
 * until unsuspend gives each its status back. P454 ("Suspension is not possible due to active
 * cards") is not raised: the cards are suspended with their user instead (docs/decisions.md, "Cards").
 */
export async function suspendUser(q: Queryable, user: UserRow, now: Date): Promise<UserRow> {
  if (user.status === UserStatus.SUSPENDED) return user;
  // A deleted user never gets here (requireUser: P610), so the status is one a suspension interrupts.
  await suspendCards(q, user.id);
  return changeStatus(q, user, UserStatus.SUSPENDED, now, { statusBeforeSuspension: user.status as SuspendableUserStatus });
}

export async function unsuspendUser(q: Queryable, user: UserRow, now: Date): Promise<UserRow> {
  if (user.status !== UserStatus.SUSPENDED) return user;
  await restoreCards(q, user.id);
  return changeStatus(q, user, user.status_before_suspension ?? UserStatus.ACTIVE, now, { statusBeforeSuspension: null });
}

/**
 * Queued when a user is deleted, due at once: what other modules keep about the user and must
 * forget (the kyc module purges its files) is done by the handler declared for this kind.
 */
export const USER_DELETED_JOB = 'user.deleted';

/**
 * Deletes a user: every balance is swept to the partner's balance of the same currency in one
 * posting ('user_deletion'), the balances are closed and the user can never be used again.
 * Refused (P616) while an operation still holds some of the user's money (a card authorization
 * not yet captured, reversed or expired too). Its cards are DELETED.
 *
 * The user's balances and the partner's ones of the same currencies are locked first, all at once
 * in id order, and the amounts swept are read under that lock: the sweep and the closing of every
 * balance (also empty ones, which the sweep does not touch) then wait for nothing.
 */
export async function deleteUser(q: Queryable, user: UserRow, now: Date): Promise<UserRow> {
  if (await pendingHoldCount(q, user.id)) throw new ApiError('P616');
  await deleteCards(q, user.id, now); // the cards (step 3 of the lock order) before any balance
  const listed = await listAccounts(q, { partnerId: user.partner_id, userId: user.id });
  const currencies = new Set(listed.map((a) => a.currency));
  const partnerAccounts = (await listAccounts(q, { partnerId: user.partner_id })).filter((a) => currencies.has(a.currency));
  const locked = await lockAccounts(q, [...listed, ...partnerAccounts].map((a) => a.id));
  const accounts = listed.map((a) => locked.find((l) => l.id === a.id)!);
  const sweep = sweepOnDeletion({
    partnerId: user.partner_id, userId: user.id, externalUserId: user.external_user_id,
    userBalances: accounts, partnerBalances: locked.filter((a) => a.owner_type === 'partner'),
  });
  if (sweep) await post(q, sweep);
  for (const account of accounts) await setAccountStatus(q, account.id, BalanceStatus.CLOSED);
  // The user's document files (KYC, proof of address) are purged by the kyc module's handler.
  await enqueueJob(q, { kind: USER_DELETED_JOB, partnerId: user.partner_id, runAt: now, payload: { userId: user.id } });
  return changeStatus(q, user, UserStatus.DELETED, now, { deleted: true, statusBeforeSuspension: null });
}

/**
 * The KYC decision for a KYC user waiting for it: APPROVED activates EUR with an IBAN and the user
 * (once: a second call is P617), REJECTED is final. Both emit /webhook/user/status. Called by the
 * sandbox shortcut and by the kyc module when the identity check and the verification data are in.
 */
export async function decideKyc(q: Queryable, user: UserRow, decision: 'APPROVED' | 'REJECTED', now: Date): Promise<UserRow> {
  if (user.model !== 'KYC') throw new ApiError('P614', 'KYC decisions apply to users of the KYC model only');
  if (user.status !== UserStatus.WAITING_FOR_VERIFICATION) throw new ApiError('P617');
  if (decision === 'REJECTED') return changeStatus(q, user, UserStatus.REJECTED, now, { kycDecided: true });
  const eur = await findAccount(q, { partnerId: user.partner_id, userId: user.id }, 'eur');
  if (eur) await setAccountStatus(q, eur.id, BalanceStatus.ACTIVE, await issueIban(q));
  return changeStatus(q, user, UserStatus.ACTIVE, now, { kycDecided: true });
}
