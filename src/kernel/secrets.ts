import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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

/**
 * A link token for a hosted page (KYC verification, checkout): 32 random bytes, sent once in the
 * URL; only its SHA-256 is stored, so the database cannot be used to open someone's page.
 */
export function newPageToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256(token) };
}

/**
 * AES-256-GCM with associated data (the row's id, so a sealed value cannot be moved to another
 * row). Layout: 12-byte IV | 16-byte tag | ciphertext. `key` comes from deriveKey(secret, purpose).
 */
export function seal(key: Buffer, plaintext: Buffer, associatedData: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The inverse of seal; throws if the value, its key or its associated data was changed. */
export function unseal(key: Buffer, sealed: Buffer, associatedData: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(associatedData));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}
