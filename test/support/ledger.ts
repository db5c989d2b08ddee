import { expect } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import type { TestApp } from './app.js';

/** What the API's answers are checked against: balance rows, postings, events, the invariant. Reads only. */

/** Raw balance rows (posted and pending) of an owner, by currency. */
export async function ledgerOf(t: TestApp, owner: { partnerId: string; userId?: string }) {
  const rows = await t.db.query<{ currency: string; posted: bigint; pending_debits: bigint }>(
    owner.userId
      ? `SELECT currency, posted, pending_debits FROM accounts WHERE owner_type = 'user' AND user_id = $1`
      : `SELECT currency, posted, pending_debits FROM accounts WHERE owner_type = 'partner' AND partner_id = $1`,
    [owner.userId ?? owner.partnerId],
  );
  return Object.fromEntries(rows.map((r) => [r.currency, { posted: r.posted, pending: r.pending_debits }]));
}

export async function userEurIban(t: TestApp, userId: string): Promise<string> {
  const [row] = await t.db.query<{ iban: string }>(`SELECT iban FROM accounts WHERE user_id = $1 AND currency = 'eur'`, [userId]);
  return row.iban;
}

export async function walletOf(t: TestApp, owner: { partnerId: string; userId?: string }, family: string): Promise<string> {
  const [row] = await t.db.query<{ address: string }>(
    owner.userId
      ? 'SELECT address FROM wallet_addresses WHERE user_id = $1 AND family = $2'
      : 'SELECT address FROM wallet_addresses WHERE partner_id = $1 AND user_id IS NULL AND family = $2',
    [owner.userId ?? owner.partnerId, family],
  );
  return row.address;
}

export async function events(t: TestApp, partnerId: string, type: string) {
  const rows = await t.db.query<{ payload: any }>('SELECT payload FROM events WHERE partner_id = $1 AND type = $2 ORDER BY id', [partnerId, type]);
  return rows.map((r) => r.payload);
}

export async function expectBalanced(t: TestApp) {
  expect(await checkInvariant(t.db)).toMatchObject({ balanced: true });
}

/** Postings made for one business object (its ref id). */
export async function postingsFor(t: TestApp, refId: string): Promise<number> {
  const [row] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM postings WHERE ref_id = $1', [refId]);
  return row.n;
}

