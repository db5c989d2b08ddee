import type { Db } from '../../src/kernel/db.js';
import type { CurrencyCode } from '../../src/kernel/currencies.js';
import { ApiError } from '../../src/kernel/errors.js';
import { findAccount, hold, post, postHold, voidHold } from '../../src/ledger/index.js';
import type { TestApp } from '../support/app.js';
import { createKycUser } from '../support/users.js';

/** Ledger test fixtures: real partner and user accounts, and the ledger calls each in its own transaction. */

export interface Fixture {
  partnerId: string;
  /** Partner account first, then one account per user, all in `currency`. */
  accounts: string[];
}

export async function fixture(t: TestApp, users: number, currency: CurrencyCode = 'eur'): Promise<Fixture> {
  const partner = await t.createPartner('Ledger');
  const accounts = [(await findAccount(t.db, { partnerId: partner.id }, currency))!.id];
  for (let i = 0; i < users; i++) {
    const { userId } = await createKycUser(partner, undefined, false);
    accounts.push((await findAccount(t.db, { partnerId: partner.id, userId }, currency))!.id);
  }
  return { partnerId: partner.id, accounts };
}

export async function balancesOf(db: Db, ids: string[]) {
  const rows = await db.query<{ id: string; posted: bigint; pending_debits: bigint }>(
    'SELECT id, posted, pending_debits FROM accounts WHERE id = ANY($1::uuid[])', [ids],
  );
  return new Map(rows.map((r) => [r.id, { posted: r.posted, pending: r.pending_debits }]));
}

/** Runs a ledger call in a transaction; 'P433' when refused for insufficient funds. */
export async function attempt<T>(db: Db, fn: (q: Parameters<Parameters<Db['tx']>[0]>[0]) => Promise<T>): Promise<T | 'P433'> {
  try {
    return await db.tx(fn);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'P433') return 'P433';
    throw error;
  }
}

export const deposit = (db: Db, partnerId: string, accountId: string, amount: bigint, currency: CurrencyCode = 'eur') =>
  db.tx((q) => post(q, {
    partnerId, kind: 'sepa_deposit', lines: [
      { account: { house: 'sepa' }, currency, amount: -amount },
      { account: { accountId }, currency, amount },
    ],
  }));

export const transfer = (db: Db, partnerId: string, from: string, to: string, amount: bigint, currency: CurrencyCode = 'eur') =>
  attempt(db, (q) => post(q, {
    partnerId, kind: 'transfer', lines: [
      { account: { accountId: from }, currency, amount: -amount },
      { account: { accountId: to }, currency, amount },
    ],
  }));

export const reserve = (db: Db, accountId: string, amount: bigint) =>
  attempt(db, (q) => hold(q, { accountId, amount, kind: 'sepa_transfer' }));

/** Posts `debit` of a hold on `accountId` to `to` (another account, or the SEPA rail when undefined). */
export const settle = (db: Db, partnerId: string, holdId: string, accountId: string, debit: bigint, to?: string, currency: CurrencyCode = 'eur') =>
  db.tx((q) => postHold(q, holdId, {
    partnerId, kind: 'sepa_transfer', refId: holdId, lines: [
      { account: { accountId }, currency, amount: -debit },
      { account: to ? { accountId: to } : { house: 'sepa' }, currency, amount: debit },
    ],
  }));

export const release = (db: Db, holdId: string) => db.tx((q) => voidHold(q, holdId));
