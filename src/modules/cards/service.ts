import type { CardSettings } from '../../config.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError, validationError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { CardStatus } from '../../kernel/statuses.js';
import { enqueueJob } from '../../jobs/queue.js';
import type { UserRow } from '../users/index.js';
import {
  cardCvv, expiryText, newCardNumber, panIndex, pinHash, sealPan, unsealPan, type CardKeys,
} from './card-data.js';
import { assertMayCreateCard } from './eligibility.js';
import { FEE_JOB } from './fees.js';
import {
  insertCard, LIMIT_FIELDS, limitsOf, recordReveal, setCardStatus, setLimits, setPinHash, type CardRow, type LimitField, type Limits,
} from './store.js';

/** Years a new card is valid. */
const VALIDITY_YEARS = 3;
/** Draws of a card number before giving up (a collision of 9 random digits is already rare). */
const NUMBER_DRAWS_MAX = 5;

export interface Reveal {
  requestId: string;
  clientIp: string;
}

/** Card number, CVV and expiry of a card: only for the answers that must show them. */
export function cardSecrets(keys: CardKeys, card: CardRow) {
  const cardNumber = unsealPan(keys, card.id, card.pan_sealed);
  const exp = expiryText(card.exp_month, card.exp_year);
  return { cardNumber, cvv: cardCvv(keys, card.id, cardNumber, exp), exp };
}

/**
 * Issues a card (the user row locked, its eligibility checked) and queues its first monthly fee.
 * Answers the card data once; the reveal is recorded.
 */
export async function createCard(
  q: Queryable,
  { keys, settings, user, label, pin, now, reveal }: {
    keys: CardKeys; settings: CardSettings; user: UserRow; label: string; pin: string; now: Date; reveal: Reveal;
  },
) {
  await assertMayCreateCard(q, settings, user, now);
  const id = newId();
  const expMonth = now.getUTCMonth() + 1;
  const expYear = now.getUTCFullYear() + VALIDITY_YEARS;
  const limits = Object.fromEntries(LIMIT_FIELDS.map((f, i) => [f, BigInt(settings.limitsDefault[i]) * 100n])) as Limits;
  for (let draw = 0; draw < NUMBER_DRAWS_MAX; draw++) {
    const pan = newCardNumber(settings.bin);
    const inserted = await insertCard(q, {
      id, partnerId: user.partner_id, userId: user.id, label, panSealed: sealPan(keys, id, pan), panIndex: panIndex(keys, pan),
      lastDigits: pan.slice(-4), expMonth, expYear, pinHash: pinHash(keys, id, pin), limits, now,
    });
    if (!inserted) continue;
    await recordReveal(q, { partnerId: user.partner_id, cardId: id, reason: 'CREATE', now, ...reveal });
    await enqueueJob(q, { kind: FEE_JOB, partnerId: user.partner_id, runAt: now, payload: { cardId: id, period: 0 } });
    const exp = expiryText(expMonth, expYear);
    return { cardId: id, cardNumber: pan, cvv: cardCvv(keys, id, pan, exp), exp };
  }
  throw new Error('no free card number in the BIN range after several draws');
}

/** Get Card Details: the card's data, the reveal recorded (who, when). A deleted card shows nothing: P664. */
export async function revealCard(q: Queryable, keys: CardKeys, card: CardRow, now: Date, reveal: Reveal) {
  if (card.status === CardStatus.DELETED) throw new ApiError('P664', 'The card is deleted');
  await recordReveal(q, { partnerId: card.partner_id, cardId: card.id, reason: 'DETAILS', now, ...reveal });
  return { status: card.status, ...cardSecrets(keys, card) };
}

export async function changePin(q: Queryable, keys: CardKeys, card: CardRow, pin: string): Promise<void> {
  if (card.status === CardStatus.DELETED) throw new ApiError('P664', 'The card is deleted');
  await setPinHash(q, card.id, pinHash(keys, card.id, pin));
}

/** Block: ACTIVE -> LOCKED_BY_USER (again on a locked card: nothing changes). */
export async function blockCard(q: Queryable, card: CardRow, now: Date): Promise<void> {
  if (card.status === CardStatus.LOCKED_BY_USER) return;
  if (card.status !== CardStatus.ACTIVE) throw new ApiError('P664', `A ${card.status} card cannot be blocked`);
  await setCardStatus(q, card.id, CardStatus.LOCKED_BY_USER, now);
}

/** Unblock: LOCKED_BY_USER -> ACTIVE (again on an active card: nothing changes). BLOCKED is the platform's. */
export async function unblockCard(q: Queryable, card: CardRow, now: Date): Promise<void> {
  if (card.status === CardStatus.ACTIVE) return;
  if (card.status !== CardStatus.LOCKED_BY_USER) throw new ApiError('P664', `A ${card.status} card cannot be unblocked`);
  await setCardStatus(q, card.id, CardStatus.ACTIVE, now);
}

/** Delete: final. Authorizations already approved may still be captured (the network's right). */
export async function deleteCard(q: Queryable, card: CardRow, now: Date): Promise<void> {
  if (card.status === CardStatus.DELETED) return;
  await setCardStatus(q, card.id, CardStatus.DELETED, now);
}

/** Limits as the contract shows them: EUR numbers. */
export const limitsView = (card: CardRow) =>
  Object.fromEntries(LIMIT_FIELDS.map((f) => [f, Number(limitsOf(card)[f]) / 100])) as Record<LimitField, number>;

/** EUR number (at most 2 decimals, not negative) to cents; P403 otherwise. */
function limitCents(field: string, value: number): bigint {
  const cents = Math.round(value * 100);
  if (!Number.isFinite(value) || value < 0 || Math.abs(cents - value * 100) > 1e-6) {
    throw validationError(`${field} must be a non-negative amount with at most 2 decimals`);
  }
  return BigInt(cents);
}

/**
 * Update Card Limits: the given fields replace the current ones (partial updates allowed); then
 * daily <= monthly for each kind, ATM and e-commerce <= all, and each at most its maximum (P668).
 */
export async function updateLimits(q: Queryable, settings: CardSettings, card: CardRow, changes: Partial<Record<LimitField, number>>) {
  if (card.status === CardStatus.DELETED) throw new ApiError('P664', 'The card is deleted');
  const given = LIMIT_FIELDS.filter((f) => changes[f] !== undefined);
  if (!given.length) throw validationError('at least one limit is required');
  const limits = limitsOf(card);
  for (const f of given) limits[f] = limitCents(f, changes[f]!);
  const problems: string[] = [];
  LIMIT_FIELDS.forEach((f, i) => {
    if (limits[f] > BigInt(settings.limitsMax[i]) * 100n) problems.push(`${f} is above its maximum ${settings.limitsMax[i]}`);
  });
  for (const kind of ['All', 'Atm', 'Ecom'] as const) {
    if (limits[`dailyTrx${kind}`] > limits[`monthlyTrx${kind}`]) problems.push(`dailyTrx${kind} must not exceed monthlyTrx${kind}`);
  }
  for (const kind of ['Atm', 'Ecom'] as const) {
    for (const period of ['daily', 'monthly'] as const) {
      if (limits[`${period}Trx${kind}`] > limits[`${period}TrxAll`]) problems.push(`${period}Trx${kind} must not exceed ${period}TrxAll`);
    }
  }
  if (problems.length) throw new ApiError('P668', problems.join('. '));
  await setLimits(q, card.id, limits);
}
