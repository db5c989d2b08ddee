import type { Currency, CurrencyCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { isUuid, newId } from '../../kernel/ids.js';
import { formatAmount, parseAmount, toNumber } from '../../kernel/money.js';
import { parseCurrency } from '../../kernel/schemas.js';
import { post } from '../../ledger/index.js';
import { emitEvent } from '../../outbox/events.js';
import { assertUsable, usableAccount } from '../exchange/accounts.js';
import { requireUserAccount } from '../users/service.js';

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
  status: 'SUCCESSFUL';
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

export async function createTransfer(q: Queryable, partnerId: string, body: TransferRequest, now: Date): Promise<string> {
  const { currency, amount } = parseTransfer(body);
  // One query per side: the user (with its checks) and its balance together.
  const side = async (externalUserId?: string) => {
    if (!externalUserId) return { userId: null, account: await usableAccount(q, { partnerId }, currency.code) };
    const { user, account } = await requireUserAccount(q, partnerId, externalUserId, currency.code, { moveMoney: true });
    return { userId: user.id, account: assertUsable(account, currency.code) };
  };
  const { userId: sourceUserId, account: from } = await side(body.sourceExternalUserId || undefined);
  const { userId: destinationUserId, account: to } = await side(body.destinationExternalUserId || undefined);
  const id = newId();
  // The transfer row and its event are written before the posting: the debit locks the source
  // balance until COMMIT, so the fewer statements after it, the more transfers a hot balance takes.
  // The posting links back through postings.ref_id.
  await q.query(
    `INSERT INTO transfers (id, partner_id, source_user_id, destination_user_id, currency, amount, status, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'SUCCESSFUL', $7)`,
    [id, partnerId, sourceUserId, destinationUserId, currency.code, amount, now],
  );
  await emitEvent(q, partnerId, 'transfer.status', {
    id,
    sourceExternalUserId: body.sourceExternalUserId || null,
    destinationExternalUserId: body.destinationExternalUserId || null,
    amount: toNumber(amount, currency.scale),
    currency: currency.code,
    status: 'SUCCESSFUL',
    createdAt: now.toISOString(),
  });
  await post(q, {
    partnerId, kind: 'transfer', refId: id,
    description: `Transfer ${body.sourceExternalUserId || 'partner'} -> ${body.destinationExternalUserId || 'partner'}`,
    lines: [
      { account: { accountId: from.id }, currency: currency.code, amount: -amount },
      { account: { accountId: to.id }, currency: currency.code, amount },
    ],
  });
  return id;
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
