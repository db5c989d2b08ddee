import type { CardSettings } from '../../config.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { UserStatus } from '../../kernel/statuses.js';
import { isExtendedUser } from '../kyc/index.js';
import { requireUser, type UserRow } from '../users/index.js';
import { creationCounts } from './store.js';

/**
 * Who may have and use cards, one ordered ladder (the first refusal wins):
 *   unknown user P412, deleted P610, non-KYC model P614, suspended P455, not verified P459,
 *   not extended P461; and for a new card: country P451, 10 cards P660, 5 per 24 h P661,
 *   10 per 30 days P662, 20 per 12 months P663.
 */

/** The user as a card endpoint may act on it; `mutate` adds the suspension check (reads stay allowed). */
export async function requireCardUser(
  q: Queryable,
  settings: CardSettings,
  partnerId: string,
  externalUserId: string,
  opts: { lock?: boolean; mutate?: boolean } = {},
): Promise<UserRow> {
  const user = await requireUser(q, partnerId, externalUserId, { lock: opts.lock });
  if (user.model !== 'KYC') throw new ApiError('P614', 'Cards are available to users of the KYC model only');
  const suspended = user.status === UserStatus.SUSPENDED;
  if (suspended && opts.mutate) throw new ApiError('P455');
  // A suspended user was verified before (what the suspension interrupted): reads go on.
  const verified = suspended ? user.status_before_suspension === UserStatus.ACTIVE : user.status === UserStatus.ACTIVE;
  if (!verified) throw new ApiError('P459');
  // Extended (P461): verified, plus an approved proof of address where CENTUM_POA_FOR_EXTENDED asks
  // for one (the KYC module's rule, docs/user-lifecycle.md).
  if (!suspended && !(await isExtendedUser(q, user, settings.poaForExtended))) throw new ApiError('P461');
  return user;
}

/** The user's country for the card countries: residence, else citizenship, else nationality. */
export const cardCountryOf = (user: UserRow): string | undefined =>
  (user.profile.country ?? user.profile.citizenship ?? user.profile.nationality)?.toUpperCase();

/** The new-card checks, the user row locked (so two creations cannot both take the last place). */
export async function assertMayCreateCard(q: Queryable, settings: CardSettings, user: UserRow, now: Date): Promise<void> {
  const country = cardCountryOf(user);
  if (!country || !settings.countries.includes(country)) throw new ApiError('P451');
  const counts = await creationCounts(q, user.id, now);
  if (counts.alive >= 10) throw new ApiError('P660');
  if (counts.day >= 5) throw new ApiError('P661');
  if (counts.month >= 10) throw new ApiError('P662');
  if (counts.year >= 20) throw new ApiError('P663');
}
