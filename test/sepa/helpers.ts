import { expect } from 'vitest';
import { newId } from '../../src/kernel/ids.js';
import { checkInvariant } from '../../src/ledger/index.js';
import { nextAddressIndex, openBalances } from '../../src/modules/balances/service.js';
import type { TestApp, TestPartner } from '../support/app.js';
import { balances, fund } from '../support/balances.js';

/**
 * Helpers shared by the rails tests. Users are created through the balances service (the user
 * endpoints belong to the users module): an active EUR balance with an IBAN and every crypto.
 */
export async function createUser(t: TestApp, partner: TestPartner, profile: Record<string, string> = {}) {
  const id = newId();
  const externalUserId = `ext-${id.slice(-12)}`;
  await t.db.tx(async (q) => {
    const addressIndex = await nextAddressIndex(q);
    await q.query(
      `INSERT INTO users (id, partner_id, external_user_id, model, status, profile, address_index)
       VALUES ($1, $2, $3, 'KYC', 'ACTIVE', $4, $5)`,
      [id, partner.id, externalUserId, JSON.stringify({ firstName: 'Maria', lastName: 'Wiśniewska', email: 'maria@example.com', ...profile }), addressIndex],
    );
    await openBalances(q, t.config.secretKey, { partnerId: partner.id, userId: id }, addressIndex, 'active');
  });
  return { id, externalUserId };
}

export const partnerBalances = (p: TestPartner) => balances(p);

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

export { advance } from '../support/balances.js';

export async function expectBalanced(t: TestApp) {
  expect(await checkInvariant(t.db)).toMatchObject({ balanced: true });
}

/** Postings made for one business object (its ref id). */
export async function postingsFor(t: TestApp, refId: string): Promise<number> {
  const [row] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM postings WHERE ref_id = $1', [refId]);
  return row.n;
}

export const fundEur = (p: TestPartner, amount: string) => fund(p, 'eur', amount);
