import { Type } from '@sinclair/typebox';
import { Nullable } from '../../kernel/schemas.js';
import type { UserRow } from './types.js';

/** The `user` object of SEPA transfer details and rail webhooks (user-operations.md 7.4). */
export const UserObject = Type.Object({
  externalUserId: Type.String(),
  email: Nullable(Type.String()),
  firstName: Nullable(Type.String()),
  lastName: Nullable(Type.String()),
  address: Nullable(Type.String()),
  city: Nullable(Type.String()),
  country: Nullable(Type.String()),
  documentType: Nullable(Type.String()),
  documentNumber: Nullable(Type.String()),
  pesel: Nullable(Type.String()),
  birthCountry: Nullable(Type.String()),
  birthDate: Nullable(Type.String()),
}, { title: 'UserSummary', description: 'The user an operation belongs to, as SEPA and crypto details and webhooks show it' });

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export function userObject(user: Pick<UserRow, 'external_user_id' | 'profile'>) {
  const p = user.profile ?? {};
  const street = [text(p.street), text(p.number)].filter(Boolean).join(' ');
  return {
    externalUserId: user.external_user_id,
    email: text(p.email),
    firstName: text(p.firstName),
    lastName: text(p.lastName),
    address: text(p.address) ?? (street || null),
    city: text(p.city),
    country: text(p.country),
    documentType: text(p.documentType),
    documentNumber: text(p.documentNumber),
    pesel: text(p.pesel),
    birthCountry: text(p.birthCountry),
    birthDate: text(p.birthDate),
  };
}

/** Names an incoming SEPA payment's sender may carry to pass the first-party check. */
export function holderNames(user: Pick<UserRow, 'profile'>): string[] {
  const p = user.profile ?? {};
  const person = [text(p.firstName), text(p.lastName)].filter(Boolean).join(' ');
  return [person, text(p.companyName) ?? ''].filter(Boolean);
}

export const fullName = (user: Pick<UserRow, 'profile' | 'external_user_id'>): string =>
  holderNames(user)[0] ?? user.external_user_id;
