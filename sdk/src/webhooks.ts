import { createHmac, timingSafeEqual } from 'node:crypto';
import type { webhooks } from './generated/openapi.js';
import { WEBHOOK_EVENT_PATHS } from './generated/registry.js';

/** Every event type Centum sends (`centum-event-type`), e.g. `transfer.status`. */
export type WebhookEventType = keyof typeof WEBHOOK_EVENT_PATHS;
export { WEBHOOK_EVENT_PATHS };

/** The server's default window (SIGNATURE_TOLERANCE_SECONDS): a timestamp further from now is refused. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A documented body may be the flat payload or the envelope (`{ event_type, event_id, created_at, data }`): the payload either way. */
type Unwrapped<B> = B extends { event_type: string; data: infer D } ? D : B;
type JsonBody<W> = W extends { post: { requestBody?: { content: { 'application/json': infer B } } } } ? Unwrapped<B> : never;
type Described<T extends string> = T extends keyof webhooks ? JsonBody<webhooks[T]> : never;
/** The flat P100 body of an event, as the contract's `webhooks` section describes it (an object otherwise). */
export type WebhookPayload<T extends WebhookEventType> = [Described<T>] extends [never] ? Record<string, unknown> : Described<T>;

interface EventOf<T extends WebhookEventType> {
  type: T;
  /** `centum-event-id`: the same on every attempt and replay; de-duplicate on it. */
  eventId: string;
  /** `centum-delivery-id`: the attempt chain (a replay has a new one). */
  deliveryId: string | undefined;
  /** `centum-attempt`: 1 for the first delivery. */
  attempt: number | undefined;
  /** Signing time (`t` of `centum-signature`), Unix seconds. */
  signedAt: number;
  /** `flat` (the P100 body as is) or `envelope` (`{event_type, event_id, created_at, data}`), per the webhook settings. */
  format: 'flat' | 'envelope';
  /** The envelope's `created_at` (undefined for flat bodies). */
  createdAt: string | undefined;
  /** The P100 body (the envelope's `data`). */
  payload: WebhookPayload<T>;
}

/** A verified delivery: narrow on `type` to get its payload's type. */
export type CentumWebhookEvent = { [T in WebhookEventType]: EventOf<T> }[WebhookEventType];

export type WebhookFailure = 'missing-token' | 'wrong-token' | 'missing-signature' | 'stale-timestamp' | 'wrong-signature' | 'malformed';

/** A delivery that did not pass verification: answer it 401 and do not act on it. */
export class CentumWebhookError extends Error {
  override readonly name = 'CentumWebhookError';
  constructor(readonly reason: WebhookFailure, message: string) {
    super(message);
  }
}

/** Headers as Node's `req.headers` (lower-case names) or a Fetch `Headers`. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** The partner's webhook token (`webhookToken`, shown when the partner was created). */
  token: string;
  headers: WebhookHeaders;
  /** The body exactly as received, before any JSON parsing: a string, Buffer or Uint8Array. */
  body: string | Uint8Array;
  /** Largest distance between the signature's timestamp and now, in seconds (default 300, as the server's). */
  toleranceSeconds?: number;
  /** Now, in milliseconds (Date.now() by default). */
  nowMs?: number;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time string comparison (the lengths are not secret). */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `centum-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(token, "<t>.<raw body>")>`, parsed as the server does. */
function checkSignature(token: string, signature: string, body: string | Uint8Array, nowSeconds: number, toleranceSeconds: number): number {
  const parts = new Map(signature.split(',').map((kv) => kv.split('=', 2) as [string, string | undefined]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t)) throw new CentumWebhookError('missing-signature', 'centum-signature has no timestamp');
  if (Math.abs(nowSeconds - t) > toleranceSeconds) {
    throw new CentumWebhookError('stale-timestamp', `centum-signature is ${nowSeconds - t} s old (tolerance ${toleranceSeconds} s)`);
  }
  const expected = createHmac('sha256', token).update(`${t}.`).update(body).digest('hex');
  if (!same(expected, v1)) throw new CentumWebhookError('wrong-signature', 'centum-signature does not match the body');
  return t;
}

/**
 * Verifies a delivery and returns its typed event; throws CentumWebhookError otherwise. Checks, in
 * order: `Authorization` is the webhook token (what P100 sends), then `centum-signature`: its
 * timestamp within the tolerance window (a captured delivery cannot be replayed later) and its
 * HMAC over the raw body (any change to the body fails). Comparisons are constant-time.
 */
export function verifyWebhook(options: VerifyWebhookOptions): CentumWebhookEvent {
  const { token, headers, body, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, nowMs = Date.now() } = options;
  if (!token) throw new TypeError('verifyWebhook: token is required');
  const authorization = header(headers, 'authorization');
  if (authorization === undefined) throw new CentumWebhookError('missing-token', 'no Authorization header');
  if (!same(authorization, token)) throw new CentumWebhookError('wrong-token', 'Authorization is not the webhook token');
  const signature = header(headers, 'centum-signature');
  if (signature === undefined) throw new CentumWebhookError('missing-signature', 'no centum-signature header');
  const signedAt = checkSignature(token, signature, body, Math.floor(nowMs / 1000), toleranceSeconds);

  const type = header(headers, 'centum-event-type');
  const eventId = header(headers, 'centum-event-id');
  if (!type || !Object.hasOwn(WEBHOOK_EVENT_PATHS, type) || !eventId) {
    throw new CentumWebhookError('malformed', `unknown event type ${JSON.stringify(type)} or no centum-event-id`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch {
    throw new CentumWebhookError('malformed', 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new CentumWebhookError('malformed', 'the body is not a JSON object');
  const json = parsed as Record<string, unknown>;
  const envelope = typeof json.event_type === 'string' && typeof json.event_id === 'string' && 'data' in json;
  const attempt = header(headers, 'centum-attempt');
  return {
    type: type as WebhookEventType,
    eventId,
    deliveryId: header(headers, 'centum-delivery-id'),
    attempt: attempt === undefined ? undefined : Number(attempt),
    signedAt,
    format: envelope ? 'envelope' : 'flat',
    createdAt: envelope && typeof json.created_at === 'string' ? json.created_at : undefined,
    payload: (envelope ? json.data : json) as never,
  } as CentumWebhookEvent;
}
