import type { Db, Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import type { SqlPart } from '../../kernel/sql.js';
import { formatAmount } from '../../kernel/money.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { BalanceStatus, SepaDepositStatus } from '../../kernel/statuses.js';
import { post, type AccountRow } from '../../ledger/index.js';
import { sepaDepositPosting } from '../../money/postings.js';
import { assertBalanceMayMoveMoney, balanceRefusal } from '../../money/refusals.js';
import { emitEvent, eventParts } from '../../outbox/events.js';
import { checkName } from '../../rails/sepa/simulator.js';
import { holderNames, type UserRow } from '../users/index.js';

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
  status: SepaDepositStatus;
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

export const REVIEW_JOB = 'sepa.deposit.review';

/**
 * One read (the balance owning the IBAN, with its user); a matching sender is then credited in one
 * statement, with no transaction. A deposit left for review is written with its event and review
 * job in one transaction.
 */
export async function receiveSepaDeposit(
  db: Db, { partnerId, now, input, reviewSeconds }: { partnerId: string; now: Date; input: IncomingSepa; reviewSeconds: number },
): Promise<SepaDepositRow> {
  const [account] = await db.query<AccountRow & { owner_external_user_id: string | null; owner_profile: UserRow['profile'] | null }>(
    `SELECT a.*, u.external_user_id AS owner_external_user_id, u.profile AS owner_profile
     FROM accounts a LEFT JOIN users u ON u.id = a.user_id
     WHERE a.iban = $1 AND a.partner_id = $2 AND a.owner_type <> 'house'`,
    [input.iban, partnerId],
  );
  if (!account) throw new ApiError('P613');
  // The balance refusals only (P610 closed, P612 not active): a payment from outside is not refused for its user's status.
  assertBalanceMayMoveMoney(account, 'eur');
  const check = account.user_id ? checkName(input.senderName, holderNames({ profile: account.owner_profile ?? {} })) : 'match';
  const deposit: SepaDepositRow = {
    id: newId(), partner_id: partnerId, user_id: account.user_id, account_id: account.id, iban: input.iban,
    amount: input.amount, sender_name: input.senderName ?? null, sender_iban: input.senderIban ?? null,
    reference: input.reference ?? null, status: check === 'match' ? SepaDepositStatus.APPROVED : SepaDepositStatus.PENDING,
    reason: check === 'match' ? null : 'SENDER_NAME_MISMATCH', created_at: now,
  };
  const externalUserId = account.owner_external_user_id;
  if (check === 'match') {
    await credit(db, deposit, externalUserId, now, (postingId) => ({
      name: 'sepa_deposit_row',
      text: `INSERT INTO sepa_deposits (id, partner_id, user_id, account_id, iban, amount, sender_name, sender_iban, reference,
                                        status, reason, created_at, posting_id, decided_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $12, NULL, $10, $11, $10)`,
      values: [deposit.id, partnerId, deposit.user_id, deposit.account_id, deposit.iban, deposit.amount, deposit.sender_name,
        deposit.sender_iban, deposit.reference, now, postingId, SepaDepositStatus.APPROVED],
    }));
    return deposit;
  }
  return db.tx(async (q) => {
    await q.query(
      `INSERT INTO sepa_deposits (id, partner_id, user_id, account_id, iban, amount, sender_name, sender_iban, reference, status, reason, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $12, $10, $11)`,
      [deposit.id, partnerId, deposit.user_id, deposit.account_id, deposit.iban, deposit.amount, deposit.sender_name,
        deposit.sender_iban, deposit.reference, deposit.reason, now, SepaDepositStatus.PENDING],
    );
    await emitEvent(q, partnerId, 'sepa_deposit.status', depositEvent(deposit, externalUserId));
    await enqueueJob(q, {
      kind: REVIEW_JOB, partnerId,
      runAt: new Date(now.getTime() + reviewSeconds * 1000),
      payload: { depositId: deposit.id, decision: check === 'partial' ? SepaDepositStatus.APPROVED : SepaDepositStatus.REJECTED },
    });
    return deposit;
  });
}

/**
 * Credits an approved deposit in one statement: the posting, the deposit row (`depositRow`, given
 * the posting's id), the sender's IBAN whitelisted for this owner (it passed the first-party check)
 * and the event.
 */
async function credit(
  q: Queryable,
  deposit: SepaDepositRow,
  externalUserId: string | null,
  now: Date,
  depositRow: (postingId: string) => SqlPart,
): Promise<void> {
  const postingId = newId();
  const approved: SepaDepositRow = { ...deposit, status: SepaDepositStatus.APPROVED };
  const contact: SqlPart[] = deposit.sender_iban
    ? [{
        name: 'sepa_contact',
        text: `INSERT INTO sepa_contacts (id, partner_id, user_id, iban, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT DO NOTHING`,
        values: [newId(), deposit.partner_id, deposit.user_id, deposit.sender_iban, deposit.sender_name, now],
      }]
    : [];
  await post(q, sepaDepositPosting({
    postingId, partnerId: deposit.partner_id, depositId: deposit.id, accountId: deposit.account_id,
    amount: deposit.amount, senderName: deposit.sender_name,
  }), [
    depositRow(postingId),
    ...contact,
    ...eventParts(deposit.partner_id, 'sepa_deposit.status', depositEvent(approved, externalUserId)).parts,
  ]);
}

/** The (simulated) manual review's decision on a deposit left PENDING. */
export const reviewDeposit: JobHandler = async (job, { q, now }) => {
  const [deposit] = await q.query<SepaDepositRow & { account_status: BalanceStatus; owner_external_user_id: string | null }>(
    `SELECT d.*, a.status AS account_status, u.external_user_id AS owner_external_user_id
     FROM sepa_deposits d JOIN accounts a ON a.id = d.account_id LEFT JOIN users u ON u.id = d.user_id
     WHERE d.id = $1 FOR NO KEY UPDATE OF d`,
    [job.payload.depositId],
  );
  if (!deposit || deposit.status !== SepaDepositStatus.PENDING) return; // already decided: nothing twice
  const { account_status: accountStatus, owner_external_user_id: externalUserId, ...row } = deposit;
  // A user deleted during the review cannot be credited (its balance is CLOSED): the payment is returned instead.
  if (job.payload.decision === SepaDepositStatus.APPROVED && !balanceRefusal({ status: accountStatus })) {
    await credit(q, row, externalUserId, now, (postingId) => ({
      name: 'sepa_deposit_row',
      text: `UPDATE sepa_deposits SET status = $4, posting_id = $2, decided_at = $3 WHERE id = $1`,
      values: [row.id, postingId, now, SepaDepositStatus.APPROVED],
    }));
    return;
  }
  // Rejected: returned to the sending bank. The money never entered the ledger.
  await q.query(`UPDATE sepa_deposits SET status = $3, decided_at = $2 WHERE id = $1`, [row.id, now, SepaDepositStatus.REJECTED]);
  await emitEvent(q, row.partner_id, 'sepa_deposit.status', depositEvent({ ...row, status: SepaDepositStatus.REJECTED }, externalUserId));
};

/** The `sepa_deposit.status` event's body. */
function depositEvent(deposit: SepaDepositRow, externalUserId: string | null): Record<string, unknown> {
  return {
    id: deposit.id,
    externalUserId,
    amount: formatAmount(deposit.amount, 2),
    currency: 'eur',
    status: deposit.status,
    reason: deposit.reason,
    iban: deposit.iban,
    senderName: deposit.sender_name,
    senderIban: deposit.sender_iban,
    reference: deposit.reference,
    createdAt: deposit.created_at.toISOString(),
  };
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
