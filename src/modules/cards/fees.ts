import { ApiError } from '../../kernel/errors.js';
import { CardStatus } from '../../kernel/statuses.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { findAccount, post } from '../../ledger/index.js';
import { cardMonthlyFee } from '../../money/fees.js';
import { cardFeePosting } from '../../money/postings.js';
import { maskedCard } from './card-data.js';
import type { CardRow } from './store.js';

/**
 * The monthly card fee (0.25 EUR by default, CENTUM_CARD_FEE_EUR) from the partner's EUR balance,
 * on the partner's clock: month 0 when the card is issued, month k at the same day k months later.
 * One job per card and month; a month is charged once (card_fees' key). A card is charged for a
 * month when it is ACTIVE or LOCKED_BY_USER then (the cards the 10-card cap counts); a deleted card
 * ends its chain. When the partner's EUR balance is short, nothing is posted (never a negative
 * balance) and the same month is tried again a day later, for as long as it takes.
 */
export const FEE_JOB = 'cards.monthly_fee';
/** Simulated seconds before a fee the partner could not pay is tried again. */
export const FEE_RETRY_SECONDS = 86_400;

const BILLED: readonly string[] = [CardStatus.ACTIVE, CardStatus.LOCKED_BY_USER];

/** `from` plus `months` calendar months (the day clamped to the month's last). */
export function addMonths(from: Date, months: number): Date {
  const target = new Date(from);
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(from.getUTCDate(), last));
  return target;
}

export const chargeMonthlyFee: JobHandler = async (job, { q, now, runtime }) => {
  const { cardId, period } = job.payload as { cardId: string; period: number };
  const [card] = await q.query<CardRow>('SELECT * FROM cards WHERE id = $1 FOR NO KEY UPDATE', [cardId]);
  if (!card || card.status === CardStatus.DELETED) return; // the chain ends with the card
  const next = () => enqueueJob(q, {
    kind: FEE_JOB, partnerId: card.partner_id, runAt: addMonths(card.created_at, period + 1), payload: { cardId, period: period + 1 },
  });
  const [charged] = await q.query('SELECT 1 FROM card_fees WHERE card_id = $1 AND period = $2', [cardId, period]);
  if (charged) return; // a duplicate of a month already charged (its job queued the next)
  if (!BILLED.includes(card.status)) {
    await next();
    return;
  }
  const account = await findAccount(q, { partnerId: card.partner_id }, 'eur');
  if (!account) throw new Error(`partner ${card.partner_id} has no EUR balance`);
  await q.query('SAVEPOINT card_fee');
  try {
    const postingId = await post(q, cardFeePosting({
      partnerId: card.partner_id, cardId, partnerEurAccountId: account.id, fee: cardMonthlyFee(runtime.config.cards),
      description: `Card fee ${maskedCard(card.last_digits)}, month ${period + 1}`,
    }));
    await q.query('INSERT INTO card_fees (card_id, period, posting_id, charged_at) VALUES ($1, $2, $3, $4)', [cardId, period, postingId, now]);
    await q.query('RELEASE SAVEPOINT card_fee');
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'P433')) throw error;
    await q.query('ROLLBACK TO SAVEPOINT card_fee');
    const runAt = new Date(now.getTime() + FEE_RETRY_SECONDS * 1000);
    await enqueueJob(q, { kind: FEE_JOB, partnerId: card.partner_id, runAt, payload: { cardId, period } });
    return;
  }
  await next();
};
