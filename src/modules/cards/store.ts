import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { CardStatus, type SuspendableCardStatus } from '../../kernel/statuses.js';

/** SQL of the cards, their reveals and fees. A card is always found with its partner and user: a miss is P434. */

export interface CardRow {
  id: string;
  partner_id: string;
  user_id: string;
  label: string;
  status: CardStatus;
  status_before_suspension: SuspendableCardStatus | null;
  pan_sealed: Buffer;
  pan_index: string;
  last_digits: string;
  exp_month: number;
  exp_year: number;
  pin_hash: string;
  monthly_all: bigint;
  daily_all: bigint;
  monthly_atm: bigint;
  daily_atm: bigint;
  monthly_ecom: bigint;
  daily_ecom: bigint;
  created_at: Date;
  deleted_at: Date | null;
}

/** The limits in cents, in the contract's order and names. */
export const LIMIT_FIELDS = ['monthlyTrxAll', 'dailyTrxAll', 'monthlyTrxAtm', 'dailyTrxAtm', 'monthlyTrxEcom', 'dailyTrxEcom'] as const;
export type LimitField = (typeof LIMIT_FIELDS)[number];
export type Limits = Record<LimitField, bigint>;
const LIMIT_COLUMNS: Record<LimitField, keyof CardRow> = {
  monthlyTrxAll: 'monthly_all', dailyTrxAll: 'daily_all', monthlyTrxAtm: 'monthly_atm',
  dailyTrxAtm: 'daily_atm', monthlyTrxEcom: 'monthly_ecom', dailyTrxEcom: 'daily_ecom',
};

export const limitsOf = (card: CardRow): Limits =>
  Object.fromEntries(LIMIT_FIELDS.map((f) => [f, BigInt(card[LIMIT_COLUMNS[f]] as bigint)])) as Limits;

export interface NewCard {
  id: string;
  partnerId: string;
  userId: string;
  label: string;
  panSealed: Buffer;
  panIndex: string;
  lastDigits: string;
  expMonth: number;
  expYear: number;
  pinHash: string;
  limits: Limits;
  now: Date;
}

/** Inserts a card; false when its number's index is taken (the caller draws another number). */
export async function insertCard(q: Queryable, c: NewCard): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO cards (id, partner_id, user_id, label, status, pan_sealed, pan_index, last_digits, exp_month, exp_year, pin_hash,
       monthly_all, daily_all, monthly_atm, daily_atm, monthly_ecom, daily_ecom, created_at)
     VALUES ($1, $2, $3, $4, '${CardStatus.ACTIVE}', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
     ON CONFLICT (pan_index) DO NOTHING RETURNING id`,
    [c.id, c.partnerId, c.userId, c.label, c.panSealed, c.panIndex, c.lastDigits, c.expMonth, c.expYear, c.pinHash,
      ...LIMIT_FIELDS.map((f) => c.limits[f]), c.now],
  );
  return rows.length === 1;
}

/**
 * The user's card `cardId`: P434 when it does not exist or belongs to another user or partner.
 * `lock` takes it FOR NO KEY UPDATE (lock order: the user, then the card, then its authorizations).
 */
export async function requireCard(q: Queryable, user: { id: string; partner_id: string }, cardId: string, opts: { lock?: boolean } = {}): Promise<CardRow> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(cardId)) throw new ApiError('P434');
  const [card] = await q.query<CardRow>(
    `SELECT * FROM cards WHERE id = $1 AND user_id = $2 AND partner_id = $3${opts.lock ? ' FOR NO KEY UPDATE' : ''}`,
    [cardId, user.id, user.partner_id],
  );
  if (!card) throw new ApiError('P434');
  return card;
}

export const listCards = (q: Queryable, userId: string) =>
  q.query<CardRow>('SELECT * FROM cards WHERE user_id = $1 ORDER BY created_at, id', [userId]);

/** What the creation caps count: cards not deleted, and creations (deleted cards too) in each rolling window. */
export async function creationCounts(q: Queryable, userId: string, now: Date) {
  const day = new Date(now.getTime() - 86_400_000);
  const month = new Date(now.getTime() - 30 * 86_400_000);
  const year = new Date(now);
  year.setUTCFullYear(year.getUTCFullYear() - 1);
  const [row] = await q.query<{ alive: number; day: number; month: number; year: number }>(
    `SELECT count(*) FILTER (WHERE status <> '${CardStatus.DELETED}')::int AS alive,
            count(*) FILTER (WHERE created_at > $2)::int AS day,
            count(*) FILTER (WHERE created_at > $3)::int AS month,
            count(*) FILTER (WHERE created_at > $4)::int AS year
     FROM cards WHERE user_id = $1`,
    [userId, day, month, year],
  );
  return row;
}

export async function setCardStatus(q: Queryable, cardId: string, status: CardStatus, now: Date): Promise<void> {
  await q.query(
    `UPDATE cards SET status = $2, deleted_at = CASE WHEN $2 = '${CardStatus.DELETED}' THEN $3::timestamptz ELSE deleted_at END,
       status_before_suspension = CASE WHEN $2 = '${CardStatus.DELETED}' THEN NULL ELSE status_before_suspension END
     WHERE id = $1`,
    [cardId, status, now],
  );
}

export async function setPinHash(q: Queryable, cardId: string, hash: string): Promise<void> {
  await q.query('UPDATE cards SET pin_hash = $2 WHERE id = $1', [cardId, hash]);
}

export async function setLimits(q: Queryable, cardId: string, limits: Limits): Promise<void> {
  await q.query(
    `UPDATE cards SET monthly_all = $2, daily_all = $3, monthly_atm = $4, daily_atm = $5, monthly_ecom = $6, daily_ecom = $7 WHERE id = $1`,
    [cardId, ...LIMIT_FIELDS.map((f) => limits[f])],
  );
}

export interface RevealInput {
  partnerId: string;
  cardId: string;
  reason: 'CREATE' | 'DETAILS';
  requestId: string;
  clientIp: string;
  now: Date;
}

export async function recordReveal(q: Queryable, r: RevealInput): Promise<void> {
  await q.query(
    'INSERT INTO card_reveals (id, partner_id, card_id, reason, request_id, client_ip, revealed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [newId(), r.partnerId, r.cardId, r.reason, r.requestId, r.clientIp, r.now],
  );
}

export const listReveals = (q: Queryable, cardId: string) =>
  q.query<{ id: string; reason: string; request_id: string | null; client_ip: string | null; revealed_at: Date }>(
    'SELECT id, reason, request_id, client_ip, revealed_at FROM card_reveals WHERE card_id = $1 ORDER BY revealed_at DESC, id DESC LIMIT 100',
    [cardId],
  );
