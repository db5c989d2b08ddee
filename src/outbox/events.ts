import type { Queryable } from '../kernel/db.js';
import { newId } from '../kernel/ids.js';
import { composeStatement, type SqlPart } from '../kernel/sql.js';

/**
 * Every event Centum reports to partners, with the path appended to the partner's webhook base
 * URL (spec README, "Webhooks"). Events are written in the same transaction as the change.
 */
export const EVENT_PATHS = {
  'user.status': '/webhook/user/status',
  'kyc_file.status': '/webhook/kyc-files/status',
  'poa_verification.status': '/webhook/poa-verification/status',
  'kyc_verification.status': '/webhook/kyc/status',
  'wallet.status': '/webhook/wallet/status',
  'transfer.status': '/transfer-webhook',
  'partner_sepa_transfer.status': '/webhook/partner/sepa-transfer/status',
  'sepa_transfer.status': '/webhook/sepa-transfer/status',
  'sepa_deposit.status': '/webhook/sepa-deposit/status',
  'crypto_withdrawal.status': '/crypto-withdrawal-webhook',
  'crypto_deposit.status': '/webhook/crypto-deposit/status',
  'exchange.status': '/webhook/exchange/status',
  'card_transaction.status': '/webhook/card/transaction',
  'order.status': '/webhook/order/status',
  'payment_link.status': '/webhook/payment-link/status',
  'card.3ds_code': '/webhook/card/3ds-code',
  'card.activation_code': '/webhook/card/activation-code',
} as const;

export type EventType = keyof typeof EVENT_PATHS;

/** The job kind that makes one delivery attempt (src/modules/webhooks/engine.ts handles it). */
export const WEBHOOK_ATTEMPT_JOB = 'webhook.attempt';

/**
 * Writes an event to the outbox; `payload` is the flat P100 body the partner receives. In the same
 * statement it opens the event's delivery (one attempt chain per event) and queues its first
 * attempt, due now in the partner's simulated time: if the caller's transaction commits, the event
 * will be delivered (or recorded as skipped); if it rolls back, nothing of it remains.
 */
export async function emitEvent(
  q: Queryable,
  partnerId: string,
  type: EventType,
  payload: Record<string, unknown>,
  at?: Date,
): Promise<string> {
  const event = eventParts(partnerId, type, payload, at);
  const statement = composeStatement(event.parts, 'SELECT 1');
  await q.query(statement.text, statement.values);
  return event.id;
}

/**
 * The event's writes as parts of a composite statement (see `post`'s `alongside`), for a change
 * that is itself one statement. One event per statement: the parts' names are fixed.
 *
 * `at` is the event's time (the envelope's `created_at`), on the partner's clock: pass the time the
 * payload itself shows (its `createdAt`), so both agree; default: now on the partner's clock.
 */
export function eventParts(partnerId: string, type: EventType, payload: Record<string, unknown>, at?: Date): { id: string; parts: SqlPart[] } {
  const id = newId();
  const deliveryId = newId();
  // With no URL (or webhooks off) the delivery is SKIPPED at once and no job is queued: the
  // same outcome its first attempt would have, without a worker round per event.
  const parts: SqlPart[] = [
    {
      name: 'event_target',
      text: `SELECT now() + p.clock_offset_ms * interval '1 millisecond' AS at,
                    coalesce(s.url IS NOT NULL AND s.enabled, false) AS live,
                    CASE WHEN s.url IS NULL THEN 'no webhook URL configured' WHEN NOT s.enabled THEN 'webhooks disabled' END AS reason
             FROM partners p LEFT JOIN webhook_settings s ON s.partner_id = p.id WHERE p.id = $1`,
      values: [partnerId],
    },
    {
      name: 'event_row',
      text: `INSERT INTO events (id, partner_id, type, path, payload, created_at)
             SELECT $1, $2, $3, $4, $5, coalesce($6::timestamptz, t.at) FROM event_target t RETURNING id`,
      values: [id, partnerId, type, EVENT_PATHS[type], JSON.stringify(payload), at ?? null],
    },
    {
      name: 'event_delivery',
      text: `INSERT INTO webhook_deliveries (id, partner_id, event_id, status, next_attempt_at, skip_reason, created_at, updated_at)
             SELECT $1, $2, e.id, CASE WHEN t.live THEN 'PENDING' ELSE 'SKIPPED' END,
                    CASE WHEN t.live THEN t.at END, t.reason, t.at, t.at
             FROM event_row e, event_target t RETURNING id`,
      values: [deliveryId, partnerId],
    },
    {
      name: 'event_first_attempt',
      text: `INSERT INTO jobs (id, kind, partner_id, payload, run_at)
             SELECT $1, $2, $3, $4, t.at FROM event_delivery, event_target t WHERE t.live`,
      values: [newId(), WEBHOOK_ATTEMPT_JOB, partnerId, JSON.stringify({ deliveryId, attemptNo: 1 })],
    },
  ];
  return { id, parts };
}
