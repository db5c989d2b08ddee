import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { formatAmount } from '../../kernel/money.js';
import { enqueueJob, registerJob } from '../../jobs/queue.js';
import { post, type AccountRow } from '../../ledger/index.js';
import { emitEvent } from '../../outbox/events.js';
import { railSettings } from '../../rails/settings.js';
import { checkName } from '../../rails/sepa/simulator.js';
import { BALANCE_CLOSED, type UserRow } from '../users/service.js';
import { holderNames } from './users.js';

/**
 * Incoming SEPA payments. Partner IBANs and senders whose name matches the user's name are
 * credited at once; other senders wait for the (simulated) manual review: a partial match is
 * approved, a clear mismatch is rejected and returned to the sender without touching the ledger.
 */
export interface SepaDepositRow {
  id: string;
  partner_id: string;
  user_id: string | null;
  account_id: string;
  iban: string;
  amount: bigint;
  sender_name: string | null;
  sender_iban: string | null;
  reference: string | null;
  status: 'PENDING' | 'APPROVED' | 'REJECTED';
  reason: string | null;
  created_at: Date;
}

export interface IncomingSepa {
  iban: string;
  amount: bigint;
  senderName?: string;
  senderIban?: string;
  reference?: string;
}

const REVIEW_JOB = 'sepa.deposit.review';

export async function receiveSepaDeposit(q: Queryable, partnerId: string, now: Date, input: IncomingSepa): Promise<SepaDepositRow> {
  const [account] = await q.query<AccountRow>(
    `SELECT * FROM accounts WHERE iban = $1 AND partner_id = $2 AND owner_type <> 'house'`,
    [input.iban, partnerId],
  );
  if (!account) throw new ApiError('P613');
  if (account.status === BALANCE_CLOSED) throw new ApiError('P610');
  if (account.status !== 'ACTIVE') throw new ApiError('P612');
  let check: ReturnType<typeof checkName> = 'match';
  let externalUserId: string | null = null;
  if (account.user_id) {
    const [user] = await q.query<UserRow>('SELECT * FROM users WHERE id = $1', [account.user_id]);
    check = checkName(input.senderName, holderNames(user));
    externalUserId = user.external_user_id;
  }
  const [deposit] = await q.query<SepaDepositRow>(
    `INSERT INTO sepa_deposits (id, partner_id, user_id, account_id, iban, amount, sender_name, sender_iban, reference, status, reason, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'PENDING', $10, $11) RETURNING *`,
    [newId(), partnerId, account.user_id, account.id, input.iban, input.amount, input.senderName ?? null,
      input.senderIban ?? null, input.reference ?? null, check === 'match' ? null : 'SENDER_NAME_MISMATCH', now],
  );
  if (check === 'match') return approve(q, deposit, now, externalUserId);
  await emitDepositEvent(q, deposit, externalUserId);
  await enqueueJob(q, {
    kind: REVIEW_JOB, partnerId,
    runAt: new Date(now.getTime() + railSettings().sepaReviewSeconds * 1000),
    payload: { depositId: deposit.id, decision: check === 'partial' ? 'APPROVED' : 'REJECTED' },
  });
  return deposit;
}

async function approve(q: Queryable, deposit: SepaDepositRow, now: Date, externalUserId?: string | null): Promise<SepaDepositRow> {
  const postingId = await post(q, {
    partnerId: deposit.partner_id, kind: 'sepa_deposit', refId: deposit.id,
    description: deposit.sender_name ? `SEPA from ${deposit.sender_name}` : 'SEPA deposit',
    lines: [
      { account: { house: 'sepa' }, currency: 'eur', amount: -deposit.amount },
      { account: { accountId: deposit.account_id }, currency: 'eur', amount: deposit.amount },
    ],
  });
  const [row] = await q.query<SepaDepositRow>(
    `UPDATE sepa_deposits SET status = 'APPROVED', posting_id = $2, decided_at = $3 WHERE id = $1 RETURNING *`,
    [deposit.id, postingId, now],
  );
  // The sender passed the first-party check: whitelist its IBAN for this owner.
  if (row.sender_iban) {
    await q.query(
      `INSERT INTO sepa_contacts (id, partner_id, user_id, iban, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [newId(), row.partner_id, row.user_id, row.sender_iban, row.sender_name, now],
    );
  }
  await emitDepositEvent(q, row, externalUserId);
  return row;
}

registerJob(REVIEW_JOB, async (job, { q, now }) => {
  const [deposit] = await q.query<SepaDepositRow>(
    `SELECT * FROM sepa_deposits WHERE id = $1 FOR UPDATE`,
    [job.payload.depositId],
  );
  if (!deposit || deposit.status !== 'PENDING') return; // already decided: nothing twice
  const [account] = await q.query<{ status: string }>('SELECT status FROM accounts WHERE id = $1', [deposit.account_id]);
  // A user deleted during the review cannot be credited: the payment is returned instead.
  if (job.payload.decision === 'APPROVED' && account.status !== BALANCE_CLOSED) {
    await approve(q, deposit, now);
    return;
  }
  // Rejected: returned to the sending bank. The money never entered the ledger.
  const [row] = await q.query<SepaDepositRow>(
    `UPDATE sepa_deposits SET status = 'REJECTED', decided_at = $2 WHERE id = $1 RETURNING *`,
    [deposit.id, now],
  );
  await emitDepositEvent(q, row);
});

/** `externalUserId` when the caller has it already (undefined: read it). */
async function emitDepositEvent(q: Queryable, deposit: SepaDepositRow, externalUserId?: string | null): Promise<void> {
  const [owner] = externalUserId !== undefined
    ? [{ external_user_id: externalUserId }]
    : deposit.user_id
      ? await q.query<{ external_user_id: string }>('SELECT external_user_id FROM users WHERE id = $1', [deposit.user_id])
      : [];
  await emitEvent(q, deposit.partner_id, 'sepa_deposit.status', {
    id: deposit.id,
    externalUserId: owner?.external_user_id ?? null,
    amount: formatAmount(deposit.amount, 2),
    currency: 'eur',
    status: deposit.status,
    reason: deposit.reason,
    iban: deposit.iban,
    senderName: deposit.sender_name,
    senderIban: deposit.sender_iban,
    reference: deposit.reference,
    createdAt: deposit.created_at.toISOString(),
  });
}

export interface ContactRow {
  id: string;
  iban: string;
  name: string | null;
  created_at: Date;
}

/** Whitelisted sender IBANs of an owner, oldest first, keyset-paged by id. */
export async function listContacts(
  q: Queryable,
  partnerId: string,
  userId: string | null,
  limit: number,
  afterId?: string,
): Promise<ContactRow[]> {
  return q.query<ContactRow>(
    `SELECT id, iban, name, created_at FROM sepa_contacts
     WHERE partner_id = $1 AND ${userId ? 'user_id = $2' : 'user_id IS NULL AND $2::uuid IS NULL'}
       AND ($3::uuid IS NULL OR id > $3::uuid)
     ORDER BY id LIMIT $4`,
    [partnerId, userId, afterId ?? null, limit],
  );
}
