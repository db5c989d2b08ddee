import { composeIBAN } from 'ibantools';

/**
 * The simulated SEPA clearing: every outgoing transfer settles after the configured delay,
 * except transfers to the magic failing IBAN below, which the "receiving bank" rejects.
 */
export const FAILING_IBAN = composeIBAN({ countryCode: 'DE', bban: '370400449999999999' })!;

export interface ClearingResult {
  ok: boolean;
  error?: { description: string; status: string };
}

export function clearTransfer(destinationIban: string): ClearingResult {
  if (destinationIban === FAILING_IBAN) {
    return { ok: false, error: { description: 'Beneficiary account closed (simulated rejection)', status: 'AC04' } };
  }
  return { ok: true };
}

/**
 * First-party name check of an incoming deposit against the account holder's name:
 * 'match' approves at once, 'partial' (a shared name word) goes to review and is approved,
 * 'mismatch' goes to review and is rejected (returned to the sender).
 */
export type NameCheck = 'match' | 'partial' | 'mismatch';

const words = (name: string): string[] =>
  name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9 ]/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 1);

export function checkName(senderName: string | undefined | null, holderNames: string[]): NameCheck {
  if (!senderName?.trim()) return 'match';
  const sender = words(senderName).sort().join(' ');
  const senderSet = new Set(words(senderName));
  let partial = false;
  for (const holder of holderNames) {
    const holderWords = words(holder);
    if (!holderWords.length) continue;
    if (holderWords.sort().join(' ') === sender) return 'match';
    if (holderWords.some((w) => senderSet.has(w))) partial = true;
  }
  return partial ? 'partial' : 'mismatch';
}
