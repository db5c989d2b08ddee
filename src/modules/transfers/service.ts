import type { Currency, CurrencyCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { isUuid, newId } from '../../kernel/ids.js';
import { formatAmount, parseAmount, toNumber } from '../../kernel/money.js';
import { parseCurrency } from '../../kernel/schemas.js';
import type { SqlPart } from '../../kernel/sql.js';
import { TransferStatus } from '../../kernel/statuses.js';
import { findAccount, post } from '../../ledger/index.js';
import { transferPosting } from '../../money/postings.js';
import { assertBalanceMayMoveMoney, moneyMoverGuard, refusalOf } from '../../money/refusals.js';
import { eventParts } from '../../outbox/events.js';
import { knownBalance, rememberBalance, requireUserAccounts, type BalanceIds } from '../users/index.js';

/**
 * Internal transfers between balances of one partner: partner -> user (funding), user -> partner
 * (collection) and user -> user (P2P). Synchronous and free: one posting, SUCCESSFUL when the
 * request answers, or refused with nothing moved.
 */

export interface TransferRow {
  id: string;
  partner_id: string;
  source_user_id: string | null;
  destination_user_id: string | null;
  currency: CurrencyCode;
  amount: bigint;
  status: TransferStatus;
  created_at: Date;
  source_external_user_id: string | null;
  destination_external_user_id: string | null;
}

export interface TransferRequest {
  sourceExternalUserId?: string;
  destinationExternalUserId?: string;
  currency: string;
  amount: string | number;
}

/** Validates the request without touching the database (P424, P628, P403). */
export function parseTransfer(body: TransferRequest): { currency: Currency; amount: bigint } {
  const source = body.sourceExternalUserId || undefined;
  const destination = body.destinationExternalUserId || undefined;
  if (!source && !destination) throw new ApiError('P424');
  if (source === destination) throw new ApiError('P628');
  const currency = parseCurrency(body.currency);
  return { currency, amount: parseAmount(body.amount, currency.scale) };
}

/**
 * One statement writes the transfer, its event and the posting together, so a transfer needs no
 * transaction and holds its balances' row locks only for that statement. The balances' ids come
 * from memory after a side's first transfer (they never change); the statement itself then checks
 * the statuses (`moneyMoverGuard`, the same refusals). Otherwise one read of both sides checks everything first.
 */
export async function createTransfer(q: Queryable, partnerId: string, body: TransferRequest, now: Date): Promise<string> {
  const { currency, amount } = parseTransfer(body);
  const source = body.sourceExternalUserId || null;
  const destination = body.destinationExternalUserId || null;
  const [from, to] = await balancesOf(q, partnerId, [source, destination], currency.code);

  const id = newId();
  const event = eventParts(partnerId, 'transfer.status', {
    id,
    sourceExternalUserId: source,
    destinationExternalUserId: destination,
    amount: toNumber(amount, currency.scale),
    currency: currency.code,
    status: TransferStatus.SUCCESSFUL,
    createdAt: now.toISOString(),
  }, now);
  const transferRow: SqlPart = {
    name: 'transfer_row',
    text: `INSERT INTO transfers (id, partner_id, source_user_id, destination_user_id, currency, amount, status, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    values: [id, partnerId, from.userId, to.userId, currency.code, amount, TransferStatus.SUCCESSFUL, now],
  };
  try {
    await post(q, {
      ...transferPosting({
        partnerId, transferId: id, description: `Transfer ${source ?? 'partner'} -> ${destination ?? 'partner'}`,
        fromAccountId: from.accountId, toAccountId: to.accountId, currency: currency.code, amount,
      }),
      at: now,
      guard: moneyMoverGuard([from, to]),
    }, [transferRow, ...event.parts]);
  } catch (error) {
    throw refusalOf(error, currency.code) ?? error;
  }
  return id;
}

/**
 * The balances of the sides (null: the partner), from memory when both are known; else read, with
 * every refusal of src/money/refusals.ts checked here (every side's user, then every side's
 * balance), and remembered.
 */
async function balancesOf(q: Queryable, partnerId: string, owners: (string | null)[], currency: CurrencyCode): Promise<BalanceIds[]> {
  const known = owners.map((owner) => knownBalance(partnerId, owner, currency));
  if (known.every((ids) => ids !== undefined)) return known as BalanceIds[];
  const userIds = owners.filter((owner): owner is string => owner !== null);
  const users = await requireUserAccounts(q, partnerId, userIds, currency, { moveMoney: true });
  const partnerAccount = userIds.length < owners.length ? await findAccount(q, { partnerId }, currency) : undefined;
  return owners.map((owner) => {
    const found = owner === null ? { user: null, account: partnerAccount } : users[userIds.indexOf(owner)];
    const ids = { userId: found.user?.id ?? null, accountId: assertBalanceMayMoveMoney(found.account, currency).id };
    rememberBalance(partnerId, owner, currency, ids);
    return ids;
  });
}

export async function getTransfer(q: Queryable, partnerId: string, transferId: string) {
  if (!isUuid(transferId)) throw new ApiError('P625');
  const [t] = await q.query<TransferRow>(
    `SELECT t.*, s.external_user_id AS source_external_user_id, d.external_user_id AS destination_external_user_id
     FROM transfers t LEFT JOIN users s ON s.id = t.source_user_id LEFT JOIN users d ON d.id = t.destination_user_id
     WHERE t.id = $1 AND t.partner_id = $2`,
    [transferId, partnerId],
  );
  if (!t) throw new ApiError('P625');
  const scale = parseCurrency(t.currency).scale;
  return {
    transferId: t.id,
    status: t.status,
    amount: formatAmount(t.amount, scale),
    currency: t.currency,
    sourceExternalUserId: t.source_external_user_id,
    destinationExternalUserId: t.destination_external_user_id,
    createdAt: t.created_at.toISOString(),
  };
}
