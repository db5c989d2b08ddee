import type { Db, Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { deriveWebhookToken, newApiKey, sha256 } from '../../kernel/secrets.js';
import { nextAddressIndex, openBalances } from '../balances/index.js';

export interface PartnerRow {
  id: string;
  name: string;
  api_key_prefix: string;
  webhook_token_version: number;
  created_at: Date;
}

export interface CreatedPartner {
  id: string;
  name: string;
  /** Shown once; only its hash is stored. */
  apiKey: string;
  /** Shown once; derived from the master secret, only its hash is stored. */
  webhookToken: string;
}

const keyPrefix = (apiKey: string) => apiKey.slice(0, 7);

/** Creates a partner with its balances (EUR with an IBAN, every crypto with addresses). */
export async function createPartner(db: Db, secretKey: string, name: string): Promise<CreatedPartner> {
  const id = newId();
  const apiKey = newApiKey();
  const webhookToken = deriveWebhookToken(secretKey, id, 1);
  await db.tx(async (q) => {
    const addressIndex = await nextAddressIndex(q);
    await q.query(
      `INSERT INTO partners (id, name, api_key_hash, api_key_prefix, webhook_token_hash, address_index)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, name, sha256(apiKey), keyPrefix(apiKey), sha256(webhookToken), addressIndex],
    );
    await openBalances(q, secretKey, { partnerId: id }, addressIndex, 'active');
  });
  return { id, name, apiKey, webhookToken };
}

export async function listPartners(q: Queryable): Promise<PartnerRow[]> {
  return q.query<PartnerRow>(
    'SELECT id, name, api_key_prefix, webhook_token_version, created_at FROM partners ORDER BY created_at, id',
  );
}

/** Issues a new API key; the old one stops working at once. */
export async function rotateApiKey(q: Queryable, id: string): Promise<{ id: string; apiKey: string }> {
  const apiKey = newApiKey();
  const rows = await q.query('UPDATE partners SET api_key_hash = $2, api_key_prefix = $3 WHERE id = $1 RETURNING id', [
    id, sha256(apiKey), keyPrefix(apiKey),
  ]);
  if (!rows.length) throw new ApiError('P418');
  return { id, apiKey };
}

/** Issues a new webhook token (next version); deliveries use it from now on. */
export async function rotateWebhookToken(q: Queryable, secretKey: string, id: string): Promise<{ id: string; webhookToken: string }> {
  const [row] = await q.query<{ webhook_token_version: number }>(
    'UPDATE partners SET webhook_token_version = webhook_token_version + 1 WHERE id = $1 RETURNING webhook_token_version',
    [id],
  );
  if (!row) throw new ApiError('P418');
  const webhookToken = deriveWebhookToken(secretKey, id, row.webhook_token_version);
  await q.query('UPDATE partners SET webhook_token_hash = $2 WHERE id = $1', [id, sha256(webhookToken)]);
  return { id, webhookToken };
}
