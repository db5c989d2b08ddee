import { v5 } from 'uuid';
import { CURRENCY_CODES, type CurrencyCode } from '../kernel/currencies.js';
import type { Queryable } from '../kernel/db.js';

/**
 * Centum's own books. Each (kind, currency) is split into shards chosen at random per posting,
 * so no request waits on one hot row. Their ids are derived, so no lookup is needed.
 */
export const HOUSE_KINDS = ['fx', 'fees', 'sepa', 'chain', 'cards', 'suspense'] as const;
export type HouseKind = (typeof HOUSE_KINDS)[number];
export const HOUSE_SHARDS = 8;

const NAMESPACE = '6f2d0a59-54a4-4c61-9a53-6a3f8c1e7b20';

export const houseAccountId = (kind: HouseKind, currency: CurrencyCode, shard: number): string =>
  v5(`house:${kind}:${currency}:${shard}`, NAMESPACE);

export const randomHouseAccountId = (kind: HouseKind, currency: CurrencyCode): string =>
  houseAccountId(kind, currency, Math.floor(Math.random() * HOUSE_SHARDS));

/** Creates any missing house account; safe to run at every start and from several processes. */
export async function ensureHouseAccounts(q: Queryable): Promise<void> {
  const ids: string[] = [];
  const kinds: string[] = [];
  const currencies: string[] = [];
  const shards: number[] = [];
  for (const kind of HOUSE_KINDS)
    for (const currency of CURRENCY_CODES)
      for (let shard = 0; shard < HOUSE_SHARDS; shard++) {
        ids.push(houseAccountId(kind, currency, shard));
        kinds.push(kind);
        currencies.push(currency);
        shards.push(shard);
      }
  await q.query(
    `INSERT INTO accounts (id, owner_type, house_kind, currency, shard)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::smallint[])
     ON CONFLICT (id) DO NOTHING`,
    [ids, ids.map(() => 'house'), kinds, currencies, shards],
  );
}
