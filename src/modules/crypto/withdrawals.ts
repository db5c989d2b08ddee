import { CURRENCIES, findNetwork, type CurrencyCode, type NetworkCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { toNumber } from '../../kernel/money.js';
import { CryptoWithdrawalStatus } from '../../kernel/statuses.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { cryptoWithdrawalFees } from '../../money/fees.js';
import { holdCryptoWithdrawal, settleCryptoWithdrawal, voidCryptoWithdrawal, type CryptoWithdrawalMoney } from '../../money/postings.js';
import { usableBalance } from '../../money/refusals.js';
import { emitEvent } from '../../outbox/events.js';
import { confirmationsAt, isFailingAddress, nextBlockAt, simulatedTxHash } from '../../rails/chains/simulator.js';
import { userObject, type UserRow } from '../users/index.js';

/**
 * Crypto withdrawals. The recipient gets `amount`; the service fee (`feeWithdrawal`) and the
 * network fee come on top (`cryptoWithdrawalFees`), so amount + both fees are held at creation.
 * The simulated chain confirms the transaction block by block with the partner's clock; at the
 * required confirmations the hold is posted (owner -> house chain for amount + network fee, house
 * fees for the service fee). A transaction to the network's failing address is rejected: hold
 * voided. The hold, its posting and its void: src/money/postings.ts.
 */
export interface WithdrawalRow {
  id: string;
  partner_id: string;
  user_id: string | null;
  account_id: string;
  currency: CurrencyCode;
  network: NetworkCode;
  amount: bigint;
  service_fee: bigint;
  network_fee: bigint;
  destination: string;
  memo: string | null;
  travel_rule: Record<string, unknown>;
  status: CryptoWithdrawalStatus;
  transaction_hash: string;
  confirmations: number;
  required_confirmations: number;
  hold_id: string;
  error: { description: string; status: string } | null;
  created_at: Date;
  finished_at: Date | null;
}

export interface NewWithdrawal {
  currency: CurrencyCode;
  network: NetworkCode;
  amount: bigint;
  walletAddress: string;
  memo?: string;
  travelRule: { name: string; walletType: string; receiverType: string };
}

export const CONFIRM_JOB = 'crypto.withdrawal.confirm';

/** The fees of a withdrawal of `currency` on `network`, from the catalogue. */
export function withdrawalFees(currency: CurrencyCode, network: NetworkCode) {
  return cryptoWithdrawalFees(CURRENCIES[currency], findNetwork(CURRENCIES[currency], network)!);
}

/** What the money layer needs of a withdrawal row to hold, post or void its money. */
const moneyOf = (w: WithdrawalRow): CryptoWithdrawalMoney => ({
  partnerId: w.partner_id, withdrawalId: w.id, accountId: w.account_id, currency: w.currency,
  amount: w.amount, serviceFee: w.service_fee, networkFee: w.network_fee,
});

/** Holds amount + fees on the payer's balance (the partner's, or `user`'s), broadcasts and queues the confirmations. */
export async function createWithdrawal(
  q: Queryable,
  { partnerId, user, input, now }: { partnerId: string; user?: UserRow; input: NewWithdrawal; now: Date },
): Promise<WithdrawalRow> {
  const account = await usableBalance(q, { partnerId, userId: user?.id }, input.currency);
  const network = findNetwork(CURRENCIES[input.currency], input.network)!;
  const { serviceFee, networkFee } = withdrawalFees(input.currency, input.network);
  const id = newId();
  const holdId = await holdCryptoWithdrawal(q, {
    partnerId, withdrawalId: id, accountId: account.id, currency: input.currency, amount: input.amount, serviceFee, networkFee,
  });
  const [row] = await q.query<WithdrawalRow>(
    `INSERT INTO crypto_withdrawals (id, partner_id, user_id, account_id, currency, network, amount, service_fee, network_fee,
       destination, memo, travel_rule, status, transaction_hash, required_confirmations, hold_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $17, $13, $14, $15, $16) RETURNING *`,
    [id, partnerId, user?.id ?? null, account.id, input.currency, input.network, input.amount, serviceFee, networkFee,
      input.walletAddress, input.memo ?? null, JSON.stringify(input.travelRule), simulatedTxHash(input.network, id),
      network.confirmations, holdId, now, CryptoWithdrawalStatus.PROCESSING],
  );
  await enqueueJob(q, { kind: CONFIRM_JOB, partnerId, runAt: nextBlockAt(network, now, 0), payload: { withdrawalId: id } });
  await emitWithdrawalEvent(q, row, user);
  return row;
}

/** One simulated block for a PROCESSING withdrawal: failed, confirmed a little more, or posted. */
export const confirmWithdrawal: JobHandler = async (job, { q, now }) => {
  const [w] = await q.query<WithdrawalRow>('SELECT * FROM crypto_withdrawals WHERE id = $1 FOR NO KEY UPDATE', [job.payload.withdrawalId]);
  if (!w || w.status !== CryptoWithdrawalStatus.PROCESSING) return; // finished already: never twice
  const network = findNetwork(CURRENCIES[w.currency], w.network)!;
  let row: WithdrawalRow;
  if (isFailingAddress(w.network, w.destination)) {
    await voidCryptoWithdrawal(q, w.hold_id);
    [row] = await q.query<WithdrawalRow>(
      `UPDATE crypto_withdrawals SET status = $4, error = $2, finished_at = $3 WHERE id = $1 RETURNING *`,
      [w.id, JSON.stringify({ description: 'Transaction rejected by the network (simulated)', status: 'REJECTED' }), now,
        CryptoWithdrawalStatus.FAILED],
    );
  } else {
    const confirmations = confirmationsAt(network, w.created_at, now);
    if (confirmations < w.required_confirmations) {
      await q.query('UPDATE crypto_withdrawals SET confirmations = $2 WHERE id = $1', [w.id, confirmations]);
      await enqueueJob(q, { kind: CONFIRM_JOB, partnerId: w.partner_id, runAt: nextBlockAt(network, w.created_at, confirmations), payload: job.payload });
      return;
    }
    const postingId = await settleCryptoWithdrawal(q, w.hold_id, { ...moneyOf(w), destination: w.destination });
    if (!postingId) throw new Error(`crypto withdrawal ${w.id}: hold already resolved`);
    [row] = await q.query<WithdrawalRow>(
      `UPDATE crypto_withdrawals SET status = $5, confirmations = $2, posting_id = $3, finished_at = $4
       WHERE id = $1 RETURNING *`,
      [w.id, confirmations, postingId, now, CryptoWithdrawalStatus.SUCCESSFUL],
    );
  }
  const user = row.user_id ? (await q.query<UserRow>('SELECT * FROM users WHERE id = $1', [row.user_id]))[0] : undefined;
  await emitWithdrawalEvent(q, row, user);
};

/** Get Crypto Withdrawal Details body; the webhook carries the same fields. */
export function withdrawalView(row: WithdrawalRow, user?: UserRow) {
  const scale = CURRENCIES[row.currency].scale;
  return {
    id: row.id,
    amount: toNumber(row.amount, scale),
    fee: toNumber(row.service_fee + row.network_fee, scale),
    serviceFee: toNumber(row.service_fee, scale),
    networkFee: toNumber(row.network_fee, scale),
    destination: row.destination,
    memo: row.memo,
    status: row.status,
    transactionHash: row.transaction_hash,
    currency: { name: row.currency, network: row.network },
    confirmations: row.confirmations,
    requiredConfirmations: row.required_confirmations,
    createdAt: row.created_at.toISOString(),
    ...(row.error ? { error: row.error } : {}),
    ...(user ? { user: userObject(user) } : {}),
  };
}

async function emitWithdrawalEvent(q: Queryable, row: WithdrawalRow, user?: UserRow) {
  await emitEvent(q, row.partner_id, 'crypto_withdrawal.status', withdrawalView(row, user));
}

export async function getWithdrawal(q: Queryable, partnerId: string, withdrawalId: string) {
  const [row] = await q.query<WithdrawalRow>('SELECT * FROM crypto_withdrawals WHERE id = $1 AND partner_id = $2', [withdrawalId, partnerId]);
  if (!row) throw new ApiError('P633');
  const user = row.user_id ? (await q.query<UserRow>('SELECT * FROM users WHERE id = $1', [row.user_id]))[0] : undefined;
  return withdrawalView(row, user);
}
