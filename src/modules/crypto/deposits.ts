import { CURRENCIES, findNetwork, type CurrencyCode, type NetworkCode, type NetworkConfig } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { Decimal, toDecimal, toMinor, toNumber } from '../../kernel/money.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { BalanceStatus, CryptoDepositStatus } from '../../kernel/statuses.js';
import { findAccount, post } from '../../ledger/index.js';
import { cryptoDepositPosting } from '../../money/postings.js';
import { balanceRefusal, refusalError } from '../../money/refusals.js';
import { emitEvent } from '../../outbox/events.js';
import { FAMILY_OF_NETWORK } from '../../rails/chains/addresses.js';
import { confirmationsAt, nextBlockAt, simulatedTxHash } from '../../rails/chains/simulator.js';
import type { RateSource } from '../../rails/fx/rates.js';
import { findOrderForDeposit, recordOrderPayment } from '../orders/index.js';
import { findPaymentLinkForDeposit, recordPaymentLinkPayment, type LinkPayment } from '../payment-links/index.js';

/**
 * Incoming crypto deposits: WAITING_FOR_VERIFICATION while the simulated chain confirms them,
 * then SUCCESSFUL (credited only then), or WAITING_FOR_TR_DATA when an outside sender's deposit is
 * worth more than the travel-rule threshold (credited once Update Travel Rule gives the sender's
 * data). Below the network's minDeposit a deposit is UNSUCCESSFUL and nothing is credited. Payments to an order's address
 * are reported to the orders module, payments to a payment link's address to the payment-links module; each credits them itself.
 */

export interface DepositRow {
  id: string;
  partner_id: string;
  user_id: string | null;
  account_id: string | null;
  order_id: string | null;
  payment_link_id: string | null;
  currency: CurrencyCode;
  network: NetworkCode;
  address: string;
  sender_address: string | null;
  amount: bigint;
  eur_value: string;
  status: CryptoDepositStatus;
  reason: string | null;
  transaction_hash: string;
  confirmations: number;
  required_confirmations: number;
  travel_rule: Record<string, unknown> | null;
  created_at: Date;
}

export interface IncomingCrypto {
  address: string;
  currency: CurrencyCode;
  network: NetworkCode;
  amount: bigint;
  senderAddress?: string;
}

export const CONFIRM_JOB = 'crypto.deposit.confirm';

const networkOf = (row: Pick<DepositRow, 'currency' | 'network'>): NetworkConfig =>
  findNetwork(CURRENCIES[row.currency], row.network)!;

export async function receiveCryptoDeposit(
  q: Queryable, { partnerId, now, input, rates }: { partnerId: string; now: Date; input: IncomingCrypto; rates: RateSource },
): Promise<DepositRow> {
  const family = FAMILY_OF_NETWORK[input.network];
  const [owner] = await q.query<{ user_id: string | null; address: string }>(
    `SELECT user_id, address FROM wallet_addresses
     WHERE lower(address) = lower($2) AND family = $1 AND partner_id = $3 AND (address = $2 OR family = 'evm')`,
    [family, input.address, partnerId],
  );
  let accountId: string | null = null;
  let orderId: string | null = null;
  let paymentLinkId: string | null = null;
  if (owner) {
    const account = await findAccount(q, { partnerId, userId: owner.user_id }, input.currency);
    // The balance refusals only (P611, P610 closed, P612): a payment from outside is not refused for its user's status.
    const refusal = balanceRefusal(account);
    if (refusal) throw refusalError(refusal, input.currency);
    accountId = account!.id;
  } else {
    const order = await findOrderForDeposit(q, partnerId, input.network, input.address);
    if (order) {
      // An order's address takes only the order's coin: another coin would be read at the wrong scale.
      if (order.currency !== input.currency) throw new ApiError('P613', `This address takes ${order.currency} only`);
      orderId = order.orderId;
    } else {
      // A payment link's address takes any coin of its network: what arrives is settled at the current rate.
      paymentLinkId = (await findPaymentLinkForDeposit(q, partnerId, input.network, input.address)) ?? null;
      if (!paymentLinkId) throw new ApiError('P613');
    }
  }
  const currency = CURRENCIES[input.currency];
  const network = findNetwork(currency, input.network)!;
  const id = newId();
  const eurValue = toDecimal(input.amount, currency.scale).mul(rates.eurValue(input.currency, now));
  const belowMinimum = input.amount < toMinor(network.minDeposit, currency.scale);
  const [row] = await q.query<DepositRow>(
    `INSERT INTO crypto_deposits (id, partner_id, user_id, account_id, order_id, currency, network, address, sender_address,
       amount, eur_value, status, reason, transaction_hash, required_confirmations, created_at, finished_at, payment_link_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING *`,
    [id, partnerId, owner?.user_id ?? null, accountId, orderId, input.currency, input.network, owner?.address ?? input.address,
      input.senderAddress ?? null, input.amount, eurValue.toFixed(2),
      belowMinimum ? CryptoDepositStatus.UNSUCCESSFUL : CryptoDepositStatus.WAITING_FOR_VERIFICATION,
      belowMinimum ? 'BELOW_MIN_DEPOSIT' : null, simulatedTxHash(input.network, id), network.confirmations, now,
      belowMinimum ? now : null, paymentLinkId],
  );
  if (!belowMinimum) {
    await enqueueJob(q, { kind: CONFIRM_JOB, partnerId, runAt: nextBlockAt(network, now, 0), payload: { depositId: id } });
    if (orderId) await recordOrderPayment(q, orderId, { cryptoDepositId: id, amount: input.amount, confirmations: 0, final: false, now });
    if (paymentLinkId) await recordPaymentLinkPayment(q, paymentLinkId, linkPayment(row, { confirmations: 0, final: false, now }));
  }
  await emitDepositEvent(q, row);
  return row;
}

const linkPayment = (d: DepositRow, at: { confirmations: number; final: boolean; now: Date }): LinkPayment => ({
  cryptoDepositId: d.id, currency: d.currency, network: d.network, amount: d.amount, transactionHash: d.transaction_hash,
  requiredConfirmations: d.required_confirmations, ...at,
});

/** One simulated block for a deposit WAITING_FOR_VERIFICATION: confirmed a little more, or final. */
export const confirmDeposit: JobHandler = async (job, { q, now, runtime }) => {
  const [deposit] = await q.query<DepositRow>('SELECT * FROM crypto_deposits WHERE id = $1 FOR NO KEY UPDATE', [job.payload.depositId]);
  if (!deposit || deposit.status !== CryptoDepositStatus.WAITING_FOR_VERIFICATION) return; // moved on already
  const network = networkOf(deposit);
  const confirmations = confirmationsAt(network, deposit.created_at, now);
  const final = confirmations >= deposit.required_confirmations;
  if (confirmations > deposit.confirmations) {
    await q.query('UPDATE crypto_deposits SET confirmations = $2 WHERE id = $1', [deposit.id, confirmations]);
    if (deposit.order_id) {
      await recordOrderPayment(q, deposit.order_id, { cryptoDepositId: deposit.id, amount: deposit.amount, confirmations, final, now });
    }
    if (deposit.payment_link_id) {
      await recordPaymentLinkPayment(q, deposit.payment_link_id, linkPayment(deposit, { confirmations, final, now }), {
        fx: runtime.fx, secretKey: runtime.config.secretKey,
      });
    }
  }
  if (!final) {
    const runAt = nextBlockAt(network, deposit.created_at, confirmations);
    await enqueueJob(q, { kind: CONFIRM_JOB, partnerId: deposit.partner_id, runAt, payload: job.payload });
    return;
  }
  if (deposit.order_id || deposit.payment_link_id) {
    await finish(q, deposit.id, CryptoDepositStatus.SUCCESSFUL, now);
  } else if (needsTravelRule(deposit, runtime.config.rails.travelRuleThresholdEur)) {
    const [row] = await q.query<DepositRow>(
      `UPDATE crypto_deposits SET status = $2 WHERE id = $1 RETURNING *`,
      [deposit.id, CryptoDepositStatus.WAITING_FOR_TR_DATA],
    );
    await emitDepositEvent(q, row);
  } else {
    await credit(q, deposit, now);
  }
};

/**
 * The travel rule holds a deposit from a named outside wallet (`senderAddress`) worth more than
 * the threshold until the sender's data is given. A deposit without a sender address counts as
 * coming from the owner's own verified wallet, like a SEPA deposit without a sender name.
 */
const needsTravelRule = (deposit: DepositRow, thresholdEur: Decimal): boolean =>
  deposit.sender_address !== null && !deposit.travel_rule
  && new Decimal(deposit.eur_value).gt(thresholdEur);

async function credit(q: Queryable, deposit: DepositRow, now: Date): Promise<DepositRow> {
  // The user was deleted while the deposit confirmed: it goes back to the sender, uncredited.
  const [account] = await q.query<{ status: BalanceStatus }>('SELECT status FROM accounts WHERE id = $1', [deposit.account_id]);
  if (account.status === BalanceStatus.CLOSED) {
    await q.query(`UPDATE crypto_deposits SET reason = 'ACCOUNT_CLOSED' WHERE id = $1`, [deposit.id]);
    return finish(q, deposit.id, CryptoDepositStatus.UNSUCCESSFUL, now);
  }
  const postingId = await post(q, cryptoDepositPosting({
    partnerId: deposit.partner_id, depositId: deposit.id, accountId: deposit.account_id!, currency: deposit.currency,
    amount: deposit.amount, transactionHash: deposit.transaction_hash,
  }));
  return finish(q, deposit.id, CryptoDepositStatus.SUCCESSFUL, now, postingId);
}

async function finish(q: Queryable, id: string, status: CryptoDepositStatus, now: Date, postingId?: string): Promise<DepositRow> {
  const [row] = await q.query<DepositRow>(
    `UPDATE crypto_deposits SET status = $2, posting_id = $3, finished_at = $4 WHERE id = $1 RETURNING *`,
    [id, status, postingId ?? null, now],
  );
  await emitDepositEvent(q, row);
  return row;
}

/**
 * Update Travel Rule: the sender's data for a deposit held in WAITING_FOR_TR_DATA; credits it.
 * `userId` null: a deposit to the partner's own wallet; otherwise to that user's wallet.
 */
export async function updateTravelRule(
  q: Queryable,
  partnerId: string,
  userId: string | null | 'any-user',
  depositId: string,
  data: Record<string, unknown>,
  now: Date,
): Promise<DepositRow> {
  const [deposit] = await q.query<DepositRow>(
    'SELECT * FROM crypto_deposits WHERE id = $1 AND partner_id = $2 AND order_id IS NULL AND payment_link_id IS NULL FOR NO KEY UPDATE',
    [depositId, partnerId],
  );
  const ownerMatches = deposit && (userId === 'any-user' ? deposit.user_id !== null : deposit.user_id === userId);
  if (!deposit || !ownerMatches) throw new ApiError('P634');
  if (deposit.status !== CryptoDepositStatus.WAITING_FOR_TR_DATA) throw new ApiError('P635');
  await q.query('UPDATE crypto_deposits SET travel_rule = $2 WHERE id = $1', [deposit.id, JSON.stringify(data)]);
  return credit(q, deposit, now);
}

async function emitDepositEvent(q: Queryable, row: DepositRow): Promise<void> {
  const [owner] = row.user_id
    ? await q.query<{ external_user_id: string }>('SELECT external_user_id FROM users WHERE id = $1', [row.user_id])
    : [];
  await emitEvent(q, row.partner_id, 'crypto_deposit.status', {
    externalUserId: owner?.external_user_id ?? null,
    cryptoDepositId: row.id,
    amount: toNumber(row.amount, CURRENCIES[row.currency].scale),
    currency: row.currency,
    network: row.network,
    status: row.status,
    transactionHash: row.transaction_hash,
    confirmations: row.confirmations,
    ...(row.order_id ? { orderId: row.order_id } : {}),
    ...(row.payment_link_id ? { paymentLinkId: row.payment_link_id } : {}),
    createdAt: row.created_at.toISOString(),
  });
}
