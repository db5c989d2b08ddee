import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** API keys are 32 random bytes; only their SHA-256 is stored (high entropy, so no slow hash needed). */
export const newApiKey = (): string => `ck_${randomBytes(32).toString('base64url')}`;

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/**
 * Webhook tokens must be sent raw to the partner, yet are not stored: each is derived from the
 * install's master secret, the partner id and a version bumped on rotation. The database keeps a
 * hash only, so a copy of the database alone reveals no token.
 */
export function deriveWebhookToken(secretKey: string, partnerId: string, version: number): string {
  return `wh_${createHmac('sha256', secretKey).update(`webhook:${partnerId}:${version}`).digest('base64url')}`;
}

/** A purpose-specific key derived from the master secret (wallet seed, card encryption). */
export function deriveKey(secretKey: string, purpose: string): Buffer {
  return createHmac('sha256', secretKey).update(`centum:${purpose}`).digest();
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
