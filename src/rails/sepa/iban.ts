import { composeIBAN, electronicFormatIBAN, isValidIBAN } from 'ibantools';

/** Centum's simulated bank: Lithuanian IBANs (as in P100's examples) under one bank code. */
export const BANK_CODE = '31300';
export const BANK_BIC = 'CNTMLT21XXX';
export const BANK_NAME = 'Centum Sandbox Bank';

/** The IBAN of account number `n` (from a database sequence); check digits from the library. */
export function ibanFor(n: bigint | number): string {
  const iban = composeIBAN({ countryCode: 'LT', bban: BANK_CODE + String(n).padStart(11, '0') });
  if (!iban) throw new Error(`cannot compose an IBAN for ${n}`);
  return iban;
}

/** Normalises (spaces, case) and validates an IBAN; undefined when invalid. */
export function normalizeIban(value: string): string | undefined {
  const iban = electronicFormatIBAN(value) ?? undefined;
  return iban && isValidIBAN(iban) ? iban : undefined;
}
