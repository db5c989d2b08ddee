import type { ChainFamily, CurrencyCode, NetworkCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import type { PaymentLinkException, PaymentLinkStatus, PaymentLinkTransactionStatus } from '../../kernel/statuses.js';
import type { LockRow } from '../exchange/index.js';

/** SQL for payment links, their addresses, their transfers and the partner's checkout settings. */

export interface LinkRow {
  id: string;
  partner_id: string;
  kind: 'STANDARD' | 'CHECKOUT';
  page_token_hash: string;
  amount: bigint;
  received: bigint;
  fee: bigint;
  description: string | null;
  reference: string | null;
  credit_user_id: string | null;
  display_name: string | null;
  logo_url: string | null;
  accent_color: string | null;
  success_url: string | null;
  cancel_url: string | null;
  tolerance_percent: string;
  underpayment_window_seconds: number;
  status: PaymentLinkStatus;
  exception: PaymentLinkException | null;
  quote_id: string | null;
  expires_at: Date;
  window_ends_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface AddressRow {
  link_id: string;
  network: NetworkCode;
  family: ChainFamily;
  address: string;
}

export interface TransactionRow {
  id: string;
  link_id: string;
  crypto_deposit_id: string;
  currency: CurrencyCode;
  network: NetworkCode;
  amount: bigint;
  transaction_hash: string;
  confirmations: number;
  required_confirmations: number;
  status: PaymentLinkTransactionStatus;
  quote_id: string | null;
  rate: string | null;
  eur_amount: bigint | null;
  fee: bigint | null;
  late: boolean;
  posting_id: string | null;
  detected_at: Date;
  settled_at: Date | null;
}

export type NewLink = Omit<LinkRow, 'received' | 'fee' | 'exception' | 'quote_id' | 'window_ends_at' | 'completed_at' | 'updated_at'>;

export async function insertLink(q: Queryable, l: NewLink): Promise<void> {
  await q.query(
    `INSERT INTO payment_links (id, partner_id, kind, page_token_hash, amount, description, reference, credit_user_id, display_name,
       logo_url, accent_color, success_url, cancel_url, tolerance_percent, underpayment_window_seconds, status, expires_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)`,
    [l.id, l.partner_id, l.kind, l.page_token_hash, l.amount, l.description, l.reference, l.credit_user_id, l.display_name,
      l.logo_url, l.accent_color, l.success_url, l.cancel_url, l.tolerance_percent, l.underpayment_window_seconds, l.status,
      l.expires_at, l.created_at],
  );
}

/** The partner's link: a miss (unknown id or another partner's) is undefined. */
export async function findLink(q: Queryable, partnerId: string, linkId: string): Promise<LinkRow | undefined> {
  const [row] = await q.query<LinkRow>('SELECT * FROM payment_links WHERE id = $1 AND partner_id = $2', [linkId, partnerId]);
  return row;
}

export async function findLinkByTokenHash(q: Queryable, hash: string): Promise<LinkRow | undefined> {
  const [row] = await q.query<LinkRow>('SELECT * FROM payment_links WHERE page_token_hash = $1', [hash]);
  return row;
}

/** The link, locked for the rest of the transaction: every change to a link (payment, expiry, quote) takes it. */
export async function lockLink(q: Queryable, linkId: string): Promise<LinkRow | undefined> {
  const [row] = await q.query<LinkRow>('SELECT * FROM payment_links WHERE id = $1 FOR NO KEY UPDATE', [linkId]);
  return row;
}

/** Applies `changes` (column -> value) to a link; returns the updated row. */
export async function updateLink(q: Queryable, linkId: string, changes: Partial<LinkRow>): Promise<LinkRow> {
  const entries = Object.entries(changes);
  const sets = entries.map(([column], i) => `${column} = $${i + 2}`);
  const [row] = await q.query<LinkRow>(
    `UPDATE payment_links SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, [linkId, ...entries.map(([, value]) => value)],
  );
  return row;
}

export async function linkAddresses(q: Queryable, linkId: string): Promise<AddressRow[]> {
  return q.query<AddressRow>('SELECT link_id, network, family, address FROM payment_link_addresses WHERE link_id = $1 ORDER BY network', [linkId]);
}

/** Stores the link's address on a network; if another request stored one first, that one stays (and is returned). */
export async function insertAddress(q: Queryable, a: AddressRow & { partner_id: string; derivation_path: string }): Promise<AddressRow> {
  await q.query(
    `INSERT INTO payment_link_addresses (link_id, partner_id, network, family, address, derivation_path) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (link_id, network) DO NOTHING`,
    [a.link_id, a.partner_id, a.network, a.family, a.address, a.derivation_path],
  );
  const [row] = await q.query<AddressRow>(
    'SELECT link_id, network, family, address FROM payment_link_addresses WHERE link_id = $1 AND network = $2', [a.link_id, a.network],
  );
  return row;
}

/** The link paid through this address on this network (EVM addresses in any case). */
export async function findLinkIdByAddress(q: Queryable, partnerId: string, network: NetworkCode, address: string): Promise<string | undefined> {
  const [row] = await q.query<{ link_id: string }>(
    `SELECT link_id FROM payment_link_addresses
     WHERE partner_id = $1 AND network = $2 AND lower(address) = lower($3) AND (address = $3 OR family = 'evm')`,
    [partnerId, network, address],
  );
  return row?.link_id;
}

export async function linkTransactions(q: Queryable, linkId: string): Promise<TransactionRow[]> {
  return q.query<TransactionRow>('SELECT * FROM payment_link_transactions WHERE link_id = $1 ORDER BY detected_at, id', [linkId]);
}

export async function findTransaction(q: Queryable, cryptoDepositId: string): Promise<TransactionRow | undefined> {
  const [row] = await q.query<TransactionRow>('SELECT * FROM payment_link_transactions WHERE crypto_deposit_id = $1', [cryptoDepositId]);
  return row;
}

export async function insertTransaction(q: Queryable, t: Pick<TransactionRow,
  'id' | 'link_id' | 'crypto_deposit_id' | 'currency' | 'network' | 'amount' | 'transaction_hash' | 'confirmations'
  | 'required_confirmations' | 'late' | 'detected_at'>): Promise<void> {
  await q.query(
    `INSERT INTO payment_link_transactions (id, link_id, crypto_deposit_id, currency, network, amount, transaction_hash, confirmations,
       required_confirmations, status, late, detected_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'CONFIRMING', $10, $11)`,
    [t.id, t.link_id, t.crypto_deposit_id, t.currency, t.network, t.amount, t.transaction_hash, t.confirmations,
      t.required_confirmations, t.late, t.detected_at],
  );
}

/** Marks a transfer settled; undefined if it was settled already (the caller holds the link's lock, so it never is). */
export async function markSettled(q: Queryable, id: string, s: Pick<TransactionRow, 'quote_id' | 'rate' | 'eur_amount' | 'fee' | 'posting_id'> & {
  confirmations: number; at: Date;
}): Promise<TransactionRow | undefined> {
  const [row] = await q.query<TransactionRow>(
    `UPDATE payment_link_transactions SET status = 'SETTLED', quote_id = $2, rate = $3, eur_amount = $4, fee = $5, posting_id = $6,
       confirmations = $7, settled_at = $8
     WHERE id = $1 AND status = 'CONFIRMING' RETURNING *`,
    [id, s.quote_id, s.rate, s.eur_amount, s.fee, s.posting_id, s.confirmations, s.at],
  );
  return row;
}

export async function setConfirmations(q: Queryable, id: string, confirmations: number): Promise<void> {
  await q.query(`UPDATE payment_link_transactions SET confirmations = $2 WHERE id = $1 AND status = 'CONFIRMING'`, [id, confirmations]);
}

/** The link's quote for this coin that was valid when a transfer was seen, if any. */
export async function quoteValidAt(
  q: Queryable, linkId: string, currency: CurrencyCode, network: NetworkCode, at: Date,
): Promise<LockRow | undefined> {
  const [row] = await q.query<LockRow>(
    `SELECT * FROM fx_locks
     WHERE used_by = $1 AND purpose = 'payment_link' AND currency_from = $2 AND network = $3 AND created_at <= $4 AND expires_at > $4
     ORDER BY created_at DESC LIMIT 1`,
    [linkId, currency, network, at],
  );
  return row;
}

export async function findQuote(q: Queryable, quoteId: string): Promise<LockRow | undefined> {
  const [row] = await q.query<LockRow>('SELECT * FROM fx_locks WHERE id = $1', [quoteId]);
  return row;
}

/** The link's latest quote, current or lapsed (the page offers its coin again). */
export async function latestQuote(q: Queryable, linkId: string): Promise<LockRow | undefined> {
  const [row] = await q.query<LockRow>(
    `SELECT * FROM fx_locks WHERE used_by = $1 AND purpose = 'payment_link' ORDER BY created_at DESC, id DESC LIMIT 1`, [linkId],
  );
  return row;
}
