import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What a delivery carries besides the body. `Authorization` holds the raw webhook token, as P100
 * does; the rest is Centum's addition (docs/webhooks.md shows how to verify it).
 */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const hmacHex = (key: string, data: string) => createHmac('sha256', key).update(data).digest('hex');

/** `x-p100-signature`: hex HMAC-SHA256 of the raw body, keyed with the webhook token. */
export const bodySignature = (token: string, body: string): string => hmacHex(token, body);

/** `Centum-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(token, "<t>.<body>")>` (replay-safe). */
export const timedSignature = (token: string, body: string, unixSeconds: number): string =>
  `t=${unixSeconds},v1=${hmacHex(token, `${unixSeconds}.${body}`)}`;

/** Checks a Centum-Signature header against the body; what a receiver runs (also used in tests). */
export function verifyTimedSignature(token: string, body: string, header: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const parts = new Map(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = hmacHex(token, `${t}.${body}`);
  return expected.length === v1.length && timingSafeEqual(Buffer.from(expected), Buffer.from(v1));
}

/** `crypto_deposit.status` -> `crypto_deposit.status_changed` (the FAQ's envelope name); others as they are. */
export const envelopeEventType = (type: string): string => (type.endsWith('.status') ? `${type}_changed` : type);

export type PayloadFormat = 'flat' | 'envelope';

export function deliveryBody(format: PayloadFormat, type: string, payload: unknown, eventId: string, createdAt: Date): string {
  if (format === 'flat') return JSON.stringify(payload);
  return JSON.stringify({ event_type: envelopeEventType(type), event_id: eventId, created_at: createdAt.toISOString(), data: payload });
}

export function deliveryHeaders(opts: {
  token: string; body: string; eventId: string; eventType: string; deliveryId: string; attempt: number; unixSeconds: number;
}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Centum-Webhooks/1',
    authorization: opts.token,
    'x-p100-signature': bodySignature(opts.token, opts.body),
    'centum-signature': timedSignature(opts.token, opts.body, opts.unixSeconds),
    'centum-event-id': opts.eventId,
    'centum-event-type': opts.eventType,
    'centum-delivery-id': opts.deliveryId,
    'centum-attempt': String(opts.attempt),
  };
}
