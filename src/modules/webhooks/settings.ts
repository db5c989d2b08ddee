import type { Queryable } from '../../kernel/db.js';
import type { PayloadFormat } from './signing.js';

export interface WebhookSettings {
  url: string | null;
  enabled: boolean;
  payloadFormat: PayloadFormat;
  updatedAt: Date | null;
}

/** A partner that never saved settings has no URL: its events are recorded as SKIPPED. */
export const DEFAULT_SETTINGS: WebhookSettings = { url: null, enabled: true, payloadFormat: 'flat', updatedAt: null };

export async function getSettings(q: Queryable, partnerId: string): Promise<WebhookSettings> {
  const [row] = await q.query<{ url: string | null; enabled: boolean; payload_format: PayloadFormat; updated_at: Date }>(
    'SELECT url, enabled, payload_format, updated_at FROM webhook_settings WHERE partner_id = $1',
    [partnerId],
  );
  if (!row) return DEFAULT_SETTINGS;
  return { url: row.url, enabled: row.enabled, payloadFormat: row.payload_format, updatedAt: row.updated_at };
}

export async function saveSettings(
  q: Queryable,
  partnerId: string,
  settings: { url: string | null; enabled: boolean; payloadFormat: PayloadFormat },
  at: Date,
): Promise<WebhookSettings> {
  await q.query(
    `INSERT INTO webhook_settings (partner_id, url, enabled, payload_format, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (partner_id) DO UPDATE SET url = $2, enabled = $3, payload_format = $4, updated_at = $5`,
    [partnerId, settings.url, settings.enabled, settings.payloadFormat, at],
  );
  return { ...settings, updatedAt: at };
}
