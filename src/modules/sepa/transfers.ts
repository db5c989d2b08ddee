import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { Decimal, formatAmount, toNumber } from '../../kernel/money.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { findAccount, hold, postHold, voidHold } from '../../ledger/index.js';
import { emitEvent } from '../../outbox/events.js';
import { railSettings } from '../../rails/settings.js';
import { clearTransfer } from '../../rails/sepa/simulator.js';
import { userObject, type UserRow } from '../users/index.js';

/**
 * Outgoing SEPA transfers: amount + fee are held at creation (P433 when short), then the
 * simulated clearing settles the transfer after the configured delay (hold posted: owner ->
 * house sepa, fee -> house fees) or fails it (hold voided, money back).
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
  status: 'PENDING' | 'SUCCESSFUL' | 'FAILED';
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

/** 0.1 % (configurable) rounded up to the cent, at least the minimum (1 EUR by default). */
export function sepaFee(amount: bigint): bigint {
  const { sepaFeePercent, sepaFeeMinCents } = railSettings();
  const fee = BigInt(new Decimal(amount.toString()).mul(sepaFeePercent).div(100).toFixed(0, Decimal.ROUND_UP));
  return fee > sepaFeeMinCents ? fee : sepaFeeMinCents;
}

export async function createSepaTransfer(
  q: Queryable,
  partnerId: string,
  user: UserRow | undefined,
  input: NewSepaTransfer,
  now: Date,
): Promise<SepaTransferRow> {
  const account = await findAccount(q, { partnerId, userId: user?.id }, 'eur');
  if (!account) throw new ApiError('P611');
  if (account.status !== 'ACTIVE') throw new ApiError('P612');
  const id = newId();
  const fee = sepaFee(input.amount);
  const holdId = await hold(q, { accountId: account.id, amount: input.amount + fee, kind: 'sepa_transfer', refId: id });
  const [row] = await q.query<SepaTransferRow>(
    `INSERT INTO sepa_transfers (id, partner_id, user_id, account_id, amount, fee, destination_iban, transfer_title,
       receiver_type, receiver_first_name, receiver_last_name, company_name, status, hold_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'PENDING', $13, $14) RETURNING *`,
    [id, partnerId, user?.id ?? null, account.id, input.amount, fee, input.destinationIban, input.transferTitle,
      input.receiverType ?? null, input.receiverFirstName ?? null, input.receiverLastName ?? null,
      input.companyName ?? null, holdId, now],
  );
  await enqueueJob(q, {
    kind: SETTLE_JOB, partnerId,
    runAt: new Date(now.getTime() + railSettings().sepaSettlementSeconds * 1000),
    payload: { transferId: id },
  });
  return row;
}

/** The simulated clearing's answer on a PENDING transfer. */
export const settleTransfer: JobHandler = async (job, { q, now }) => {
  const [transfer] = await q.query<SepaTransferRow>('SELECT * FROM sepa_transfers WHERE id = $1 FOR NO KEY UPDATE', [job.payload.transferId]);
  if (!transfer || transfer.status !== 'PENDING') return; // settled already: never twice
  const result = clearTransfer(transfer.destination_iban);
  let row: SepaTransferRow;
  if (result.ok) {
    const postingId = await postHold(q, transfer.hold_id, {
      partnerId: transfer.partner_id, kind: 'sepa_transfer', refId: transfer.id,
      description: `SEPA to ${transfer.destination_iban}`,
      lines: [
        { account: { accountId: transfer.account_id }, currency: 'eur', amount: -(transfer.amount + transfer.fee) },
        { account: { house: 'sepa' }, currency: 'eur', amount: transfer.amount },
        { account: { house: 'fees' }, currency: 'eur', amount: transfer.fee },
      ],
    });
    if (!postingId) throw new Error(`sepa transfer ${transfer.id}: hold already resolved`);
    [row] = await q.query<SepaTransferRow>(
      `UPDATE sepa_transfers SET status = 'SUCCESSFUL', posting_id = $2, settled_at = $3 WHERE id = $1 RETURNING *`,
      [transfer.id, postingId, now],
    );
  } else {
    await voidHold(q, transfer.hold_id);
    [row] = await q.query<SepaTransferRow>(
      `UPDATE sepa_transfers SET status = 'FAILED', error = $2, settled_at = $3 WHERE id = $1 RETURNING *`,
      [transfer.id, JSON.stringify(result.error), now],
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
