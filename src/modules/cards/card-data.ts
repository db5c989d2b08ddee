import { createHmac, randomInt } from 'node:crypto';
import { deriveKey, safeEqual, seal, unseal } from '../../kernel/secrets.js';

/**
 * Card data kept as an issuer must (PCI DSS 3.3-3.5). Every key is derived from the master secret
 * with a purpose of its own, so a copy of the database alone reveals nothing:
 * - the card number is sealed with AES-256-GCM, the card id bound as associated data (a sealed
 *   number cannot be moved to another card); its last four digits are kept in clear;
 * - uniqueness of numbers is checked on a keyed HMAC of the number (`pan_index`), never the number;
 * - the CVV is never stored: it is an HMAC of the card id, number and expiry, cut to 3 digits;
 * - the PIN is stored only as a keyed HMAC bound to the card id, compared in constant time.
 * Nothing here logs; no value of these ever goes into an error message, an event or a log line.
 */
export interface CardKeys {
  pan: Buffer;
  panIndex: Buffer;
  cvv: Buffer;
  pin: Buffer;
  threeDs: Buffer;
}

export function cardKeys(secretKey: string): CardKeys {
  return {
    pan: deriveKey(secretKey, 'card-pan-encryption'),
    panIndex: deriveKey(secretKey, 'card-pan-index'),
    cvv: deriveKey(secretKey, 'card-cvv'),
    pin: deriveKey(secretKey, 'card-pin'),
    threeDs: deriveKey(secretKey, 'card-3ds-code'),
  };
}

/** The Luhn check digit of `digits` (the number without its last digit). */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export const isLuhnValid = (pan: string): boolean => /^\d{12,19}$/.test(pan) && luhnCheckDigit(pan.slice(0, -1)) === Number(pan.at(-1));

/** A random 16-digit number in the BIN range, Luhn-valid. */
export function newCardNumber(bin: string): string {
  let body = bin;
  while (body.length < 15) body += String(randomInt(10));
  return body + String(luhnCheckDigit(body));
}

export const sealPan = (keys: CardKeys, cardId: string, pan: string): Buffer => seal(keys.pan, Buffer.from(pan), `card:${cardId}`);
export const unsealPan = (keys: CardKeys, cardId: string, sealed: Buffer): string => unseal(keys.pan, sealed, `card:${cardId}`).toString();
export const panIndex = (keys: CardKeys, pan: string): string => createHmac('sha256', keys.panIndex).update(pan).digest('hex');

/** The CVV, derived each time it is shown or checked. */
export function cardCvv(keys: CardKeys, cardId: string, pan: string, exp: string): string {
  const mac = createHmac('sha256', keys.cvv).update(`${cardId}:${pan}:${exp}`).digest();
  return String(mac.readUInt32BE(0) % 1000).padStart(3, '0');
}

export const pinHash = (keys: CardKeys, cardId: string, pin: string): string =>
  createHmac('sha256', keys.pin).update(`${cardId}:${pin}`).digest('hex');

export const pinMatches = (keys: CardKeys, cardId: string, pin: string, stored: string): boolean =>
  safeEqual(pinHash(keys, cardId, pin), stored);

/** "MM/YY", as the contract shows it. */
export const expiryText = (month: number, year: number): string => `${String(month).padStart(2, '0')}/${String(year % 100).padStart(2, '0')}`;

/** What partners, histories and webhooks see of a card number. */
export const maskedCard = (lastDigits: string): string => `**** ${lastDigits}`;

/** A 3DS code is kept as a keyed hash bound to its authorization, like the PIN. */
export const threeDsHash = (keys: CardKeys, authorizationId: string, code: string): string =>
  createHmac('sha256', keys.threeDs).update(`${authorizationId}:${code}`).digest('hex');

/** A one-time 6-digit code (3DS, activation). */
export const oneTimeCode = (): string => String(randomInt(1_000_000)).padStart(6, '0');
