import type { Queryable } from '../../kernel/db.js';
import { OrderStatus } from '../../kernel/statuses.js';
import type { ChainFamily, CurrencyCode, NetworkCode } from '../../kernel/currencies.js';

/** SQL for orders. */

export interface OrderRow {
  id: string;
  partner_id: string;
  lock_id: string;
  currency: CurrencyCode;
  network: NetworkCode;
  amount_required: bigint;
  eur_amount: bigint;
  rate: string;
  mid_rate: string;
  status: OrderStatus;
  address_family: ChainFamily;
  address: string;
  derivation_path: string;
  received: bigint;
  confirmations: number;
  required_confirmations: number;
  crypto_deposit_id: string | null;
  settled_eur: bigint | null;
  fee_eur: bigint | null;
  posting_id: string | null;
  transaction_hash: string | null;
  expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertOrder(q: Queryable, o: Pick<OrderRow,
  'id' | 'partner_id' | 'lock_id' | 'currency' | 'network' | 'amount_required' | 'eur_amount' | 'rate' | 'mid_rate' | 'status'
  | 'address_family' | 'address' | 'derivation_path' | 'required_confirmations' | 'created_at'>): Promise<void> {
  await q.query(
    `INSERT INTO orders (id, partner_id, lock_id, currency, network, amount_required, eur_amount, rate, mid_rate, status,
       address_family, address, derivation_path, required_confirmations, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
    [o.id, o.partner_id, o.lock_id, o.currency, o.network, o.amount_required, o.eur_amount, o.rate, o.mid_rate, o.status,
      o.address_family, o.address, o.derivation_path, o.required_confirmations, o.created_at],
  );
}

export async function findOrder(q: Queryable, partnerId: string, orderId: string): Promise<OrderRow | undefined> {
  const [row] = await q.query<OrderRow>('SELECT * FROM orders WHERE id = $1 AND partner_id = $2', [orderId, partnerId]);
  return row;
}

export async function lockOrder(q: Queryable, orderId: string): Promise<OrderRow | undefined> {
  const [row] = await q.query<OrderRow>('SELECT * FROM orders WHERE id = $1 FOR NO KEY UPDATE', [orderId]);
  return row;
}

/** The order paid through this address (EVM addresses in any case), once its address is published. */
export async function findOrderByAddress(q: Queryable, partnerId: string, family: ChainFamily, network: NetworkCode, address: string) {
  const [row] = await q.query<Pick<OrderRow, 'id' | 'currency'>>(
    `SELECT id, currency FROM orders
     WHERE partner_id = $1 AND address_family = $2 AND network = $3
       AND (address = $4 OR (address_family = 'evm' AND lower(address) = lower($4)))
       AND status <> $5`,
    [partnerId, family, network, address, OrderStatus.WAITING_FOR_WALLET_ADDRESS],
  );
  return row;
}

/** Applies `changes` (column -> value) to an order; returns the updated row. */
export async function updateOrder(q: Queryable, orderId: string, changes: Partial<OrderRow>, onlyIfStatus?: OrderStatus): Promise<OrderRow | undefined> {
  const entries = Object.entries(changes);
  const sets = entries.map(([column], i) => `${column} = $${i + 2}`);
  const params: unknown[] = [orderId, ...entries.map(([, value]) => value)];
  let where = 'id = $1';
  if (onlyIfStatus) {
    params.push(onlyIfStatus);
    where += ` AND status = $${params.length}`;
  }
  const [row] = await q.query<OrderRow>(`UPDATE orders SET ${sets.join(', ')} WHERE ${where} RETURNING *`, params);
  return row;
}
