import type { CurrencyCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { findAccount, type AccountRow, type Owner } from '../../ledger/index.js';

/**
 * The owner's balance in `currency`, if it may move money: P611 when the owner has none,
 * P612 when it is not ACTIVE (a KYC user's EUR balance before approval). Used for both the
 * debited and the credited side.
 */
export async function usableAccount(q: Queryable, owner: Owner, currency: CurrencyCode): Promise<AccountRow> {
  return assertUsable(await findAccount(q, owner, currency), currency);
}

export function assertUsable(account: AccountRow | undefined, currency: CurrencyCode): AccountRow {
  if (!account) throw new ApiError('P611', `No ${currency} balance`);
  if (account.status !== 'ACTIVE') {
    throw new ApiError('P612', currency === 'eur' ? undefined : `The ${currency} balance is not active`);
  }
  return account;
}
