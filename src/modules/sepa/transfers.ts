import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { formatAmount, toNumber } from '../../kernel/money.js';
import { SepaTransferStatus } from '../../kernel/statuses.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { sepaTransferFee } from '../../money/fees.js';
import { holdSepaTransfer, settleSepaTransfer, voidSepaTransfer } from '../../money/postings.js';
import { usableBalance } from '../../money/refusals.js';
import { emitEvent } from '../../outbox/events.js';
import type { RailSettings } from '../../config.js';
import { clearTransfer } from '../../rails/sepa/simulator.js';
import { userObject, type UserRow } from '../users/index.js';

/**
 * Outgoing SEPA transfers: amount + fee are held at creation (P433 when short), then the
 * simulated clearing settles the transfer after the configured delay (hold posted) or fails it
 * (hold voided, money back): `holdSepaTransfer`, `settleSepaTransfer`, `voidSepaTransfer` in
 * src/money/postings.ts.
 */
export interface SepaTransferRow {
  id: string;
  partner_id: string;
  user_id: string | null;
  account_id: string;
  amount: bigint;
  fee: bigint;
  destination_iban: string;
  transfer_title: string;
  receiver_type: string | null;
  receiver_first_name: string | null;
  receiver_last_name: string | null;
  company_name: string | null;
  status: SepaTransferStatus;
  hold_id: string;
  error: { description: string; status: string } | null;
  created_at: Date;
  settled_at: Date | null;
}

export interface NewSepaTransfer {
  amount: bigint;
  destinationIban: string;
  transferTitle: string;
  receiverType?: 'NATURAL' | 'LEGAL';
  receiverFirstName?: string;
  receiverLastName?: string;
  companyName?: string;
}

export const SETTLE_JOB = 'sepa.transfer.settle';

/** Holds amount + fee on the payer's EUR balance (the partner's, or `user`'s) and queues the settlement. */
export async function createSepaTransfer(
  q: Queryable,
  { partnerId, user, input, now, rails }: { partnerId: string; user?: UserRow; input: NewSepaTransfer; now: Date; rails: RailSettings },
): Promise<SepaTransferRow> {
  const account = await usableBalance(q, { partnerId, userId: user?.id }, 'eur');
  const id = newId();
  const fee = sepaTransferFee(input.amount, rails);
  const holdId = await holdSepaTransfer(q, { partnerId, transferId: id, accountId: account.id, amount: input.amount, fee });
  const [row] = await q.query<SepaTransferRow>(
    `INSERT INTO sepa_transfers (id, partner_id, user_id, account_id, amount, fee, destination_iban, transfer_title,
       receiver_type, receiver_first_name, receiver_last_name, company_name, status, hold_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING *`,
    [id, partnerId, user?.id ?? null, account.id, input.amount, fee, input.destinationIban, input.transferTitle,
      input.receiverType ?? null, input.receiverFirstName ?? null, input.receiverLastName ?? null,
      input.companyName ?? null, SepaTransferStatus.PENDING, holdId, now],
  );
  await enqueueJob(q, {
    kind: SETTLE_JOB, partnerId,
    runAt: new Date(now.getTime() + rails.sepaSettlementSeconds * 1000),
    payload: { transferId: id },
  });
  return row;
}

/** The simulated clearing's answer on a PENDING transfer. */
export const settleTransfer: JobHandler = async (job, { q, now }) => {
  const [transfer] = await q.query<SepaTransferRow>('SELECT * FROM sepa_transfers WHERE id = $1 FOR NO KEY UPDATE', [job.payload.transferId]);
  if (!transfer || transfer.status !== SepaTransferStatus.PENDING) return; // settled already: never twice
  const result = clearTransfer(transfer.destination_iban);
  let row: SepaTransferRow;
  if (result.ok) {
    const postingId = await settleSepaTransfer(q, transfer.hold_id, {
      partnerId: transfer.partner_id, transferId: transfer.id, accountId: transfer.account_id,
      amount: transfer.amount, fee: transfer.fee, destinationIban: transfer.destination_iban,
    });
    if (!postingId) throw new Error(`sepa transfer ${transfer.id}: hold already resolved`);
    [row] = await q.query<SepaTransferRow>(
      `UPDATE sepa_transfers SET status = $4, posting_id = $2, settled_at = $3 WHERE id = $1 RETURNING *`,
      [transfer.id, postingId, now, SepaTransferStatus.SUCCESSFUL],
    );
  } else {
    await voidSepaTransfer(q, transfer.hold_id);
    [row] = await q.query<SepaTransferRow>(
      `UPDATE sepa_transfers SET status = $4, error = $2, settled_at = $3 WHERE id = $1 RETURNING *`,
      [transfer.id, JSON.stringify(result.error), now, SepaTransferStatus.FAILED],
    );
  }
  const user = row.user_id
    ? (await q.query<UserRow>('SELECT * FROM users WHERE id = $1', [row.user_id]))[0]
    : undefined;
  const view = transferView(row, user);
  if (user) await emitEvent(q, row.partner_id, 'sepa_transfer.status', { ...view, externalUserId: user.external_user_id });
  else await emitEvent(q, row.partner_id, 'partner_sepa_transfer.status', view);
};

/** Get SEPA Transfer Details body (also the webhook payload). */
export function transferView(row: SepaTransferRow, user?: UserRow) {
  return {
    id: row.id,
    type: 'external',
    amount: formatAmount(row.amount, 2),
    transferTitle: row.transfer_title,
    destinationIban: row.destination_iban,
    receiverType: row.receiver_type,
    receiverFirstName: row.receiver_first_name,
    receiverLastName: row.receiver_last_name,
    companyName: row.company_name,
    status: row.status,
    currency: 'eur',
    fee: toNumber(row.fee, 2),
    createdAt: row.created_at.toISOString(),
    ...(row.error ? { error: row.error } : {}),
    ...(user ? { user: userObject(user) } : {}),
  };
}

/** A transfer of this partner (partner-level or any of its users'); P428 otherwise. */
export async function getSepaTransfer(q: Queryable, partnerId: string, transferId: string) {
  const [row] = await q.query<SepaTransferRow>('SELECT * FROM sepa_transfers WHERE id = $1 AND partner_id = $2', [transferId, partnerId]);
  if (!row) throw new ApiError('P428');
  const user = row.user_id ? (await q.query<UserRow>('SELECT * FROM users WHERE id = $1', [row.user_id]))[0] : undefined;
  return transferView(row, user);
}
