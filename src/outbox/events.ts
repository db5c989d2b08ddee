import type { Queryable } from '../kernel/db.js';
import { newId } from '../kernel/ids.js';

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

/** Writes an event to the outbox; `payload` is the flat P100 body the partner receives. */
export async function emitEvent(
  q: Queryable,
  partnerId: string,
  type: EventType,
  payload: Record<string, unknown>,
): Promise<string> {
  const id = newId();
  await q.query('INSERT INTO events (id, partner_id, type, path, payload) VALUES ($1, $2, $3, $4, $5)', [
    id, partnerId, type, EVENT_PATHS[type], JSON.stringify(payload),
  ]);
  return id;
}
