import type { CardSettings } from '../../config.js';
import type { CurrencyCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { formatAmount } from '../../kernel/money.js';
import { safeEqual } from '../../kernel/secrets.js';
import { CardAuthorizationStatus, CardStatus, UserStatus, type CardChannel } from '../../kernel/statuses.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { findAccount, post } from '../../ledger/index.js';
import {
  captureCardAuthorization, cardRefundPosting, holdCardAuthorization, incrementCardAuthorization, reverseCardAuthorization,
} from '../../money/postings.js';
import { emitEvent, eventParts } from '../../outbox/events.js';
import { composeStatement } from '../../kernel/sql.js';
import type { UserRow } from '../users/index.js';
import { maskedCard, oneTimeCode, pinMatches, threeDsHash, type CardKeys } from './card-data.js';
import { limitsOf, type CardRow } from './store.js';

/**
 * The simulated card network's side of a card: authorizations (holds on the cardholder's EUR
 * balance through the ledger), 3DS, captures, increments, reversals, expiry and refunds. Each
 * authorization resolves once: captures, reversals and the expiry job lock its row and act only
 * on a PENDING one, and the ledger resolves its hold once (postHold / voidHold answer null/false
 * for a resolved hold).
 *
 * Lock order (docs/decisions.md): the user row, then the card row, then the authorization row,
 * then the hold, then the balance (one ledger step).
 */

export interface AuthorizationRow {
  id: string;
  partner_id: string;
  card_id: string;
  user_id: string;
  status: CardAuthorizationStatus;
  decline_reason: DeclineReason | null;
  channel: CardChannel;
  currency: string;
  amount: bigint;
  requested: bigint;
  refunded: bigint;
  merchant_name: string;
  mcc: string;
  hold_id: string | null;
  posting_id: string | null;
  three_ds_hash: string | null;
  created_at: Date;
  resolved_at: Date | null;
}

export interface AuthorizationInput {
  cardId: string;
  amount: bigint;
  currency: string;
  channel: CardChannel;
  merchantName: string;
  mcc: string;
  pin?: string;
  threeDS?: boolean;
}

export const EXPIRY_JOB = 'cards.authorization_expiry';

/** The reasons an authorization (or an increment) is declined, checked in this order. */
export const DECLINE_REASONS = [
  'CURRENCY_NOT_SUPPORTED', 'CARD_DELETED', 'CARD_LOCKED', 'CARD_BLOCKED', 'CARD_SUSPENDED', 'CARD_EXPIRED',
  'USER_DELETED', 'USER_SUSPENDED', 'USER_NOT_VERIFIED', 'PIN_REQUIRED', 'INCORRECT_PIN', 'THREE_DS_FAILED',
  'DAILY_LIMIT_EXCEEDED', 'MONTHLY_LIMIT_EXCEEDED', 'DAILY_ATM_LIMIT_EXCEEDED', 'MONTHLY_ATM_LIMIT_EXCEEDED',
  'DAILY_ECOM_LIMIT_EXCEEDED', 'MONTHLY_ECOM_LIMIT_EXCEEDED', 'INSUFFICIENT_FUNDS',
] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

const CARD_REFUSALS: Partial<Record<CardStatus, DeclineReason>> = {
  DELETED: 'CARD_DELETED', LOCKED_BY_USER: 'CARD_LOCKED', BLOCKED: 'CARD_BLOCKED', SUSPENDED: 'CARD_SUSPENDED',
};

/** What a card transaction event and the sandbox answers show. No card data: last digits only. */
export function authorizationView(a: AuthorizationRow, card: Pick<CardRow, 'last_digits'>) {
  const captured = a.status === CardAuthorizationStatus.CAPTURED;
  return {
    authorizationId: a.id,
    cardId: a.card_id,
    cardLastDigits: card.last_digits,
    status: a.status,
    declineReason: a.decline_reason,
    amount: formatAmount(a.requested, 2),
    heldAmount: formatAmount(a.status === CardAuthorizationStatus.PENDING ? a.amount : 0n, 2),
    capturedAmount: formatAmount(captured ? a.amount : 0n, 2),
    refundedAmount: formatAmount(a.refunded, 2),
    currency: a.currency as CurrencyCode,
    channel: a.channel,
    merchantName: a.merchant_name,
    mcc: a.mcc,
    createdAt: a.created_at.toISOString(),
  };
}

export type TransactionEventType = 'AUTHORIZATION' | 'DECLINE' | 'CAPTURE' | 'INCREMENT' | 'INCREMENT_DECLINED' | 'REVERSAL' | 'EXPIRY' | 'REFUND';

const transactionPayload = (
  a: AuthorizationRow, card: CardRow, externalUserId: string, type: TransactionEventType, amount: bigint, now: Date,
  declineReason: DeclineReason | null = a.decline_reason,
) => ({
  ...authorizationView(a, card), declineReason, type, externalUserId, transactionAmount: formatAmount(amount, 2), occurredAt: now.toISOString(),
});

async function emitTransaction(
  q: Queryable, a: AuthorizationRow, card: CardRow, externalUserId: string, type: TransactionEventType, amount: bigint, now: Date,
  declineReason: DeclineReason | null = a.decline_reason,
) {
  await emitEvent(q, a.partner_id, 'card_transaction.status', transactionPayload(a, card, externalUserId, type, amount, now, declineReason));
}

const description = (card: CardRow, merchantName: string) => `Card ${maskedCard(card.last_digits)} at ${merchantName}`;

/** Start of the partner's (UTC) day and month: the limits' windows. */
function windows(now: Date) {
  return {
    day: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())),
    month: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
  };
}

/** The first limit `extra` more would break: spent = captured + pending of this card, on the partner's clock. */
async function limitBreached(q: Queryable, card: CardRow, channel: CardChannel, extra: bigint, now: Date): Promise<DeclineReason | undefined> {
  const { day, month } = windows(now);
  const [s] = await q.query<Record<string, bigint>>(
    `SELECT coalesce(sum(amount) FILTER (WHERE created_at >= $2), 0) AS day_all,
            coalesce(sum(amount), 0) AS month_all,
            coalesce(sum(amount) FILTER (WHERE created_at >= $2 AND channel = 'ATM'), 0) AS day_atm,
            coalesce(sum(amount) FILTER (WHERE channel = 'ATM'), 0) AS month_atm,
            coalesce(sum(amount) FILTER (WHERE created_at >= $2 AND channel = 'ECOM'), 0) AS day_ecom,
            coalesce(sum(amount) FILTER (WHERE channel = 'ECOM'), 0) AS month_ecom
     FROM card_authorizations
     WHERE card_id = $1 AND created_at >= $3 AND status IN ('${CardAuthorizationStatus.PENDING}', '${CardAuthorizationStatus.CAPTURED}')`,
    [card.id, day, month],
  );
  const limits = limitsOf(card);
  const over = (spent: bigint, limit: bigint) => BigInt(spent) + extra > limit;
  if (over(s.day_all, limits.dailyTrxAll)) return 'DAILY_LIMIT_EXCEEDED';
  if (over(s.month_all, limits.monthlyTrxAll)) return 'MONTHLY_LIMIT_EXCEEDED';
  if (channel === 'ATM' && over(s.day_atm, limits.dailyTrxAtm)) return 'DAILY_ATM_LIMIT_EXCEEDED';
  if (channel === 'ATM' && over(s.month_atm, limits.monthlyTrxAtm)) return 'MONTHLY_ATM_LIMIT_EXCEEDED';
  if (channel === 'ECOM' && over(s.day_ecom, limits.dailyTrxEcom)) return 'DAILY_ECOM_LIMIT_EXCEEDED';
  if (channel === 'ECOM' && over(s.month_ecom, limits.monthlyTrxEcom)) return 'MONTHLY_ECOM_LIMIT_EXCEEDED';
  return undefined;
}

/** Card, then user: the refusals that do not depend on the amount. */
function stateRefusal(card: CardRow, user: UserRow | undefined, now: Date): DeclineReason | undefined {
  const cardRefusal = CARD_REFUSALS[card.status];
  if (cardRefusal) return cardRefusal;
  if (now >= new Date(Date.UTC(card.exp_year, card.exp_month, 1))) return 'CARD_EXPIRED';
  if (!user) return 'USER_DELETED';
  if (user.status === UserStatus.SUSPENDED) return 'USER_SUSPENDED';
  if (user.status !== UserStatus.ACTIVE) return 'USER_NOT_VERIFIED';
  return undefined;
}

/**
 * The card's user, locked, with its EUR balance id, then the card, locked (two statements, in the
 * lock order): P434 for a card of another partner. `user` is undefined when the user was deleted
 * (its card then declines as DELETED).
 */
async function lockCardAndUser(q: Queryable, partnerId: string, cardId: string) {
  if (!/^[0-9a-f-]{36}$/i.test(cardId)) throw new ApiError('P434');
  const [owner] = await q.query<UserRow & { eur_account_id: string | null }>(
    `SELECT u.*, (SELECT a.id FROM accounts a WHERE a.owner_type = 'user' AND a.user_id = u.id AND a.currency = 'eur') AS eur_account_id
     FROM users u WHERE u.id = (SELECT c.user_id FROM cards c WHERE c.id = $1 AND c.partner_id = $2) AND u.partner_id = $2
     FOR NO KEY UPDATE OF u`,
    [cardId, partnerId],
  );
  if (!owner) throw new ApiError('P434');
  const { eur_account_id: eurAccountId, ...user } = owner;
  const [card] = await q.query<CardRow>('SELECT * FROM cards WHERE id = $1 AND partner_id = $2 FOR NO KEY UPDATE', [cardId, partnerId]);
  return { user: user.deleted_at ? undefined : (user as UserRow), card, externalUserId: user.external_user_id, eurAccountId };
}

async function userEurAccount(q: Queryable, card: CardRow): Promise<string> {
  const account = await findAccount(q, { partnerId: card.partner_id, userId: card.user_id }, 'eur');
  if (!account) throw new Error(`user ${card.user_id} has no EUR balance`);
  return account.id;
}

/** Holds `amount` for the authorization; the decline reason when the balance is short. */
async function holdFunds(q: Queryable, card: CardRow, accountId: string | null, authorizationId: string, amount: bigint, merchantName: string) {
  try {
    const holdId = await holdCardAuthorization(q, {
      partnerId: card.partner_id, authorizationId, accountId: accountId ?? (await userEurAccount(q, card)), amount,
      description: description(card, merchantName),
    });
    return { holdId };
  } catch (error) {
    if (error instanceof ApiError && error.code === 'P433') return { reason: 'INSUFFICIENT_FUNDS' as const };
    throw error;
  }
}

const queueExpiry = (q: Queryable, settings: CardSettings, partnerId: string, authorizationId: string, now: Date) =>
  enqueueJob(q, { kind: EXPIRY_JOB, partnerId, runAt: new Date(now.getTime() + settings.authExpirySeconds * 1000), payload: { authorizationId } });

interface Step {
  partnerId: string;
  authorizationId: string;
  amount?: bigint;
  now: Date;
}

export async function authorize(
  q: Queryable,
  { keys, settings, partnerId, input, now }: { keys: CardKeys; settings: CardSettings; partnerId: string; input: AuthorizationInput; now: Date },
) {
  const { user, card, externalUserId, eurAccountId } = await lockCardAndUser(q, partnerId, input.cardId);
  const id = newId();
  let reason: DeclineReason | undefined = input.currency !== 'eur' ? 'CURRENCY_NOT_SUPPORTED' : stateRefusal(card, user, now);
  if (!reason && input.channel === 'ATM' && input.pin === undefined) reason = 'PIN_REQUIRED';
  if (!reason && input.pin !== undefined && !pinMatches(keys, card.id, input.pin, card.pin_hash)) reason = 'INCORRECT_PIN';
  if (!reason) reason = await limitBreached(q, card, input.channel, input.amount, now);
  let status: CardAuthorizationStatus = CardAuthorizationStatus.DECLINED;
  let holdId: string | undefined;
  let code: string | undefined;
  if (!reason && input.threeDS) {
    status = CardAuthorizationStatus.AWAITING_3DS;
    code = oneTimeCode();
  } else if (!reason) {
    const held = await holdFunds(q, card, eurAccountId, id, input.amount, input.merchantName);
    reason = held.reason;
    holdId = held.holdId;
    if (holdId) status = CardAuthorizationStatus.PENDING;
  }
  const row: AuthorizationRow = {
    id, partner_id: partnerId, card_id: card.id, user_id: card.user_id, status, decline_reason: reason ?? null, channel: input.channel,
    currency: input.currency, amount: input.amount, requested: input.amount, refunded: 0n, merchant_name: input.merchantName, mcc: input.mcc,
    hold_id: holdId ?? null, posting_id: null, three_ds_hash: code ? threeDsHash(keys, id, code) : null, created_at: now,
    resolved_at: status === CardAuthorizationStatus.DECLINED ? now : null,
  };
  // The row, its event (with its delivery) and its expiry job: one statement.
  const event = code
    ? eventParts(partnerId, 'card.3ds_code', {
      event_type: 'card.3ds', external_user_id: externalUserId, card_id: card.id, authorization_id: id, code,
      merchant_name: input.merchantName, amount: formatAmount(input.amount, 2), currency: input.currency,
    })
    : eventParts(partnerId, 'card_transaction.status', transactionPayload(row, card, externalUserId, reason ? 'DECLINE' : 'AUTHORIZATION', input.amount, now));
  const statement = composeStatement([
    {
      name: 'card_authorization',
      text: `INSERT INTO card_authorizations (id, partner_id, card_id, user_id, status, decline_reason, channel, currency, amount, requested,
               merchant_name, mcc, hold_id, three_ds_hash, created_at, resolved_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
      values: [id, partnerId, card.id, card.user_id, status, row.decline_reason, input.channel, input.currency, input.amount,
        input.merchantName, input.mcc, row.hold_id, row.three_ds_hash, now, row.resolved_at],
    },
    ...event.parts,
    ...(holdId
      ? [{
          name: 'card_expiry_job',
          text: 'INSERT INTO jobs (id, kind, partner_id, payload, run_at) VALUES ($1, $2, $3, $4, $5)',
          values: [newId(), EXPIRY_JOB, partnerId, JSON.stringify({ authorizationId: id }), new Date(now.getTime() + settings.authExpirySeconds * 1000)],
        }]
      : []),
  ], 'SELECT 1');
  await q.query(statement.text, statement.values);
  return authorizationView(row, card);
}

/** The authorization of this partner, locked (after its user and card, in the lock order). P665 when unknown. */
async function lockAuthorization(q: Queryable, partnerId: string, authorizationId: string, opts: { cardFirst?: boolean } = {}) {
  if (!/^[0-9a-f-]{36}$/i.test(authorizationId)) throw new ApiError('P665');
  const [found] = await q.query<{ card_id: string }>(
    'SELECT card_id FROM card_authorizations WHERE id = $1 AND partner_id = $2', [authorizationId, partnerId],
  );
  if (!found) throw new ApiError('P665');
  const locked = opts.cardFirst ? await lockCardAndUser(q, partnerId, found.card_id) : undefined;
  const [a] = await q.query<AuthorizationRow>('SELECT * FROM card_authorizations WHERE id = $1 FOR NO KEY UPDATE', [authorizationId]);
  const card = locked?.card ?? (await q.query<CardRow>('SELECT * FROM cards WHERE id = $1', [a.card_id]))[0];
  const externalUserId = locked?.externalUserId
    ?? (await q.query<{ external_user_id: string }>('SELECT external_user_id FROM users WHERE id = $1', [a.user_id]))[0].external_user_id;
  return { a, card, user: locked?.user, externalUserId };
}

const pendingOnly = (a: AuthorizationRow) => {
  if (a.status !== CardAuthorizationStatus.PENDING) throw new ApiError('P666', `The authorization is ${a.status}`);
};

/** 3DS answer: the right code goes on with the authorization (checks run again), a wrong one declines it. */
export async function confirmThreeDs(q: Queryable, { keys, settings, partnerId, authorizationId, code, now }: {
  keys: CardKeys; settings: CardSettings; partnerId: string; authorizationId: string; code: string; now: Date;
}) {
  const { a, card, user, externalUserId } = await lockAuthorization(q, partnerId, authorizationId, { cardFirst: true });
  if (a.status !== CardAuthorizationStatus.AWAITING_3DS) throw new ApiError('P669');
  let reason: DeclineReason | undefined = safeEqual(threeDsHash(keys, a.id, code), a.three_ds_hash ?? '') ? undefined : 'THREE_DS_FAILED';
  reason ??= stateRefusal(card, user, now) ?? (await limitBreached(q, card, a.channel, a.amount, now));
  let holdId: string | undefined;
  if (!reason) {
    const held = await holdFunds(q, card, null, a.id, a.amount, a.merchant_name);
    reason = held.reason;
    holdId = held.holdId;
  }
  const [row] = await q.query<AuthorizationRow>(
    `UPDATE card_authorizations SET status = $2, decline_reason = $3, hold_id = $4, three_ds_hash = NULL, resolved_at = $5 WHERE id = $1 RETURNING *`,
    [a.id, holdId ? CardAuthorizationStatus.PENDING : CardAuthorizationStatus.DECLINED, reason ?? null, holdId ?? null, holdId ? null : now],
  );
  await emitTransaction(q, row, card, externalUserId, holdId ? 'AUTHORIZATION' : 'DECLINE', a.amount, now);
  if (holdId) await queueExpiry(q, settings, partnerId, a.id, now);
  return authorizationView(row, card);
}

/** Capture, full (no amount) or partial (the rest released); never more than held (P667), once (P666). */
export async function capture(q: Queryable, { partnerId, authorizationId, amount, now }: Step) {
  const { a, card, externalUserId } = await lockAuthorization(q, partnerId, authorizationId);
  pendingOnly(a);
  const captured = amount ?? a.amount;
  if (captured > a.amount) throw new ApiError('P667', 'A capture cannot exceed the held amount');
  const postingId = await captureCardAuthorization(q, a.hold_id!, {
    partnerId, authorizationId: a.id, accountId: await userEurAccount(q, card), amount: captured,
    description: description(card, a.merchant_name),
  });
  if (!postingId) throw new ApiError('P666');
  const [row] = await q.query<AuthorizationRow>(
    `UPDATE card_authorizations SET status = '${CardAuthorizationStatus.CAPTURED}', amount = $2, posting_id = $3, resolved_at = $4 WHERE id = $1 RETURNING *`,
    [a.id, captured, postingId, now],
  );
  await emitTransaction(q, row, card, externalUserId, 'CAPTURE', captured, now);
  return authorizationView(row, card);
}

/** Incremental authorization: the card, user and limits checked again for the extra amount, then more held. */
export async function increment(q: Queryable, { partnerId, authorizationId, amount, now }: Step & { amount: bigint }) {
  const { a, card, user, externalUserId } = await lockAuthorization(q, partnerId, authorizationId, { cardFirst: true });
  pendingOnly(a);
  let reason = stateRefusal(card, user, now) ?? (await limitBreached(q, card, a.channel, amount, now));
  if (!reason) {
    try {
      await incrementCardAuthorization(q, a.hold_id!, amount);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'P433')) throw error;
      reason = 'INSUFFICIENT_FUNDS';
    }
  }
  const [row] = reason
    ? [a]
    : await q.query<AuthorizationRow>(
      'UPDATE card_authorizations SET amount = amount + $2, requested = requested + $2 WHERE id = $1 RETURNING *', [a.id, amount]);
  await emitTransaction(q, row, card, externalUserId, reason ? 'INCREMENT_DECLINED' : 'INCREMENT', amount, now, reason ?? null);
  return { ...authorizationView(row, card), declineReason: reason ?? null };
}

/** Reversal: full (no amount, or all of it: REVERSED) or partial (the rest stays held). */
export async function reverse(q: Queryable, { partnerId, authorizationId, amount, now }: Step) {
  const { a, card, externalUserId } = await lockAuthorization(q, partnerId, authorizationId);
  pendingOnly(a);
  const reversed = amount ?? a.amount;
  if (reversed > a.amount) throw new ApiError('P667', 'A reversal cannot exceed the held amount');
  const full = reversed === a.amount;
  if (!(await reverseCardAuthorization(q, a.hold_id!, full ? 'all' : reversed))) throw new ApiError('P666');
  const [row] = full
    ? await q.query<AuthorizationRow>(
      `UPDATE card_authorizations SET status = '${CardAuthorizationStatus.REVERSED}', resolved_at = $2 WHERE id = $1 RETURNING *`, [a.id, now])
    : await q.query<AuthorizationRow>('UPDATE card_authorizations SET amount = amount - $2 WHERE id = $1 RETURNING *', [a.id, reversed]);
  await emitTransaction(q, row, card, externalUserId, 'REVERSAL', reversed, now);
  return authorizationView(row, card);
}

/** Refund of a captured authorization, in part or whole (never more than captured less refunded): a credit. */
export async function refund(q: Queryable, { partnerId, authorizationId, amount, now }: Step) {
  const { a, card, externalUserId } = await lockAuthorization(q, partnerId, authorizationId);
  if (a.status !== CardAuthorizationStatus.CAPTURED) throw new ApiError('P666', 'Only a captured authorization can be refunded');
  const left = a.amount - a.refunded;
  const refunded = amount ?? left;
  if (refunded > left || refunded <= 0n) throw new ApiError('P667', 'A refund cannot exceed what was captured and not refunded yet');
  await post(q, cardRefundPosting({
    partnerId, authorizationId: a.id, accountId: await userEurAccount(q, card), amount: refunded,
    description: `Refund: ${description(card, a.merchant_name)}`,
  }));
  const [row] = await q.query<AuthorizationRow>('UPDATE card_authorizations SET refunded = refunded + $2 WHERE id = $1 RETURNING *', [a.id, refunded]);
  await emitTransaction(q, row, card, externalUserId, 'REFUND', refunded, now);
  return authorizationView(row, card);
}

/** Expiry on the partner's clock: a still PENDING authorization's hold is released. */
export const expireAuthorization: JobHandler = async (job, { q, now }) => {
  const [a] = await q.query<AuthorizationRow>('SELECT * FROM card_authorizations WHERE id = $1 FOR NO KEY UPDATE', [job.payload.authorizationId]);
  if (!a || a.status !== CardAuthorizationStatus.PENDING) return; // resolved already: never twice
  if (!(await reverseCardAuthorization(q, a.hold_id!, 'all'))) return;
  const [row] = await q.query<AuthorizationRow>(
    `UPDATE card_authorizations SET status = '${CardAuthorizationStatus.EXPIRED}', resolved_at = $2 WHERE id = $1 RETURNING *`, [a.id, now],
  );
  const [card] = await q.query<CardRow>('SELECT * FROM cards WHERE id = $1', [a.card_id]);
  const [owner] = await q.query<{ external_user_id: string }>('SELECT external_user_id FROM users WHERE id = $1', [a.user_id]);
  await emitTransaction(q, row, card, owner.external_user_id, 'EXPIRY', a.amount, now);
};

/** Sandbox: sends the card's activation code to the partner (card.activation_code webhook). */
export async function sendActivationCode(q: Queryable, card: CardRow, externalUserId: string) {
  const code = oneTimeCode();
  await emitEvent(q, card.partner_id, 'card.activation_code', { event_type: 'card.activation', external_user_id: externalUserId, card_id: card.id, code });
  return { cardId: card.id, sent: true };
}
