import { validationError } from '../../kernel/errors.js';
import { COUNTRY_CODES, POA_COUNTRIES } from './countries.js';
import { DOCUMENT_TYPES, type ProfileInput } from './schemas.js';

/**
 * The profile checks a JSON schema cannot express. Returns the normalised profile (country codes
 * upper-case, strings trimmed) or throws one P403 listing every problem.
 */

const COUNTRY_FIELDS = ['country', 'citizenship', 'nationality', 'birthCountry'] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9][0-9 -]{4,30}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function birthDateProblem(value: string, now: Date): string | undefined {
  const m = DATE.exec(value);
  if (!m) return 'birthDate must be a date in the format YYYY-MM-DD';
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return 'birthDate must be a real calendar date';
  }
  if (year < 1900) return 'birthDate must not be before 1900';
  if (date.getTime() >= now.getTime()) return 'birthDate must be in the past';
  return undefined;
}

export function normalizeProfile(input: ProfileInput, now: Date): ProfileInput {
  const problems: string[] = [];
  const profile: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    const value = typeof raw === 'string' ? raw.trim() : raw;
    if (typeof value === 'string' && value === '') problems.push(`${key} should not be empty`);
    profile[key] = value;
  }
  for (const field of COUNTRY_FIELDS) {
    const value = profile[field];
    if (typeof value !== 'string') continue;
    const code = value.toUpperCase();
    if (!COUNTRY_CODES.has(code)) problems.push(`${field} must be an ISO 3166-1 alpha-2 country code`);
    profile[field] = code;
  }
  if (typeof profile.email === 'string') {
    if (!EMAIL.test(profile.email)) problems.push('email must be an email');
    else profile.email = profile.email.toLowerCase();
  }
  if (typeof profile.phone === 'string' && !PHONE.test(profile.phone)) problems.push('phone must be a phone number (digits with the country prefix)');
  if (typeof profile.birthDate === 'string') {
    const problem = birthDateProblem(profile.birthDate, now);
    if (problem) problems.push(problem);
  }
  if (typeof profile.documentType === 'string') {
    const type = profile.documentType.toUpperCase();
    if (!(DOCUMENT_TYPES as readonly string[]).includes(type)) {
      problems.push(`documentType must be one of the following values: ${DOCUMENT_TYPES.join(', ')}`);
    }
    profile.documentType = type;
  }
  if (profile.hasAcceptedP100Tc === false) problems.push('hasAcceptedP100Tc must be true');
  if (problems.length) throw validationError(...problems);
  return profile as ProfileInput;
}

/** A user needs some country: residence, or else citizenship or nationality. */
export function requireCountry(profile: ProfileInput): void {
  if (!profile.country && !profile.citizenship && !profile.nationality) {
    throw validationError('country should not be empty (or give citizenship or nationality)');
  }
}

/** Legacy P100 rule (residents or citizens of seven countries need a proof of address). */
export const poaRequired = (profile: ProfileInput): boolean =>
  [profile.country, profile.citizenship, profile.nationality].some((c) => c !== undefined && POA_COUNTRIES.has(c));
