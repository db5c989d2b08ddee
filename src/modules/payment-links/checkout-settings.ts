import { Type, type Static } from '@fastify/type-provider-typebox';
import type { Queryable } from '../../kernel/db.js';
import { Decimal } from '../../kernel/money.js';
import { Nullable } from '../../kernel/schemas.js';

/**
 * The partner's hosted checkout configuration: branding (display name, logo, accent colour), the
 * rules a checkout link is created with (expiry, underpayment window, payment tolerance) and where
 * the payer goes afterwards. Standard payment links use DEFAULT_CHECKOUT (no branding).
 */

const HttpsUrl = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, examples: ['https://shop.example.com/thanks'] });

export const CheckoutSettings = Type.Object({
  displayName: Nullable(Type.String({ minLength: 1, maxLength: 80, examples: ['Acme Shop'] })),
  logoUrl: Nullable(Type.String({
    format: 'uri', pattern: '^https://', maxLength: 2000, examples: ['https://cdn.example.com/logo.png'],
    description: 'https only; its origin is added to the page\'s Content-Security-Policy img-src',
  })),
  accentColor: Nullable(Type.String({ pattern: '^#[0-9a-fA-F]{6}$', examples: ['#0a7d4f'], description: 'Buttons and header, #rrggbb' })),
  expiryMinutes: Type.Integer({ minimum: 5, maximum: 10_080, examples: [60], description: 'How long a checkout link waits for a first payment' }),
  underpaymentWindowMinutes: Type.Integer({
    minimum: 0, maximum: 10_080, examples: [30], description: 'After an underpayment, how long the payer has to send the rest',
  }),
  paymentTolerancePercent: Type.Number({
    minimum: 0, maximum: 10, examples: [0.5], description: 'A payment this much short of the amount (percent) still completes the link',
  }),
  successUrl: Nullable(HttpsUrl),
  cancelUrl: Nullable(HttpsUrl),
}, { title: 'CheckoutSettings', description: 'The partner\'s hosted checkout configuration', additionalProperties: false });
export type CheckoutSettings = Static<typeof CheckoutSettings>;

export const DEFAULT_CHECKOUT: CheckoutSettings = {
  displayName: null, logoUrl: null, accentColor: null, expiryMinutes: 60, underpaymentWindowMinutes: 30, paymentTolerancePercent: 0,
  successUrl: null, cancelUrl: null,
};

interface Row {
  display_name: string | null; logo_url: string | null; accent_color: string | null; expiry_minutes: number;
  underpayment_window_minutes: number; payment_tolerance_percent: string; success_url: string | null; cancel_url: string | null;
}

export async function getCheckoutSettings(q: Queryable, partnerId: string): Promise<CheckoutSettings> {
  const [row] = await q.query<Row>('SELECT * FROM checkout_settings WHERE partner_id = $1', [partnerId]);
  if (!row) return DEFAULT_CHECKOUT;
  return {
    displayName: row.display_name, logoUrl: row.logo_url, accentColor: row.accent_color, expiryMinutes: row.expiry_minutes,
    underpaymentWindowMinutes: row.underpayment_window_minutes, paymentTolerancePercent: new Decimal(row.payment_tolerance_percent).toNumber(),
    successUrl: row.success_url, cancelUrl: row.cancel_url,
  };
}

export async function saveCheckoutSettings(q: Queryable, partnerId: string, s: CheckoutSettings, at: Date): Promise<CheckoutSettings> {
  await q.query(
    `INSERT INTO checkout_settings (partner_id, display_name, logo_url, accent_color, expiry_minutes, underpayment_window_minutes,
       payment_tolerance_percent, success_url, cancel_url, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (partner_id) DO UPDATE SET display_name = $2, logo_url = $3, accent_color = $4, expiry_minutes = $5,
       underpayment_window_minutes = $6, payment_tolerance_percent = $7, success_url = $8, cancel_url = $9, updated_at = $10`,
    [partnerId, s.displayName, s.logoUrl, s.accentColor, s.expiryMinutes, s.underpaymentWindowMinutes,
      new Decimal(s.paymentTolerancePercent).toFixed(), s.successUrl, s.cancelUrl, at],
  );
  return s;
}
