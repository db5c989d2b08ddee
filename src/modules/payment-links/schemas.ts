import { Type } from '@fastify/type-provider-typebox';
import { Amount, CurrencySlug, NetworkSlug, Nullable, StringEnum, Timestamp, Uuid } from '../../kernel/schemas.js';
import { PaymentLinkException, PaymentLinkStatus, PaymentLinkTransactionStatus, valuesOf } from '../../kernel/statuses.js';
import { LINK_CURRENCIES } from './service.js';
import { CRYPTO_CODES } from '../../kernel/currencies.js';

/** Request and response shapes of the payment link endpoints, and the webhook payload. */

const EurAmount = (description: string, example = '100.00') => Type.String({ pattern: '^\\d+\\.\\d{2}$', description, examples: [example] });
const Url = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, examples: ['https://shop.example.com/order/42'] });
const Network = StringEnum(['btc', 'ltc', 'doge', 'ethereum', 'polygon'] as const, { examples: ['polygon'] });
const Currency = StringEnum(LINK_CURRENCIES, { examples: ['usdc'] });

const common = {
  amount: Amount,
  description: Type.Optional(Type.String({ maxLength: 200, examples: ['Order #42'], description: 'Shown to the payer' })),
  reference: Type.Optional(Type.String({ maxLength: 100, examples: ['order-42'], description: 'The partner\'s own reference, returned as given' })),
  successUrl: Type.Optional(Url),
  cancelUrl: Type.Optional(Url),
};

export const CreatePaymentLink = Type.Object({
  ...common,
  expiryMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 10_080, examples: [60], description: 'Default 60' })),
}, { title: 'CreatePaymentLink', description: 'A standard payment link: an amount in EUR', additionalProperties: false });

export const CreateHostedCheckout = Type.Object({
  ...common,
  externalUserId: Type.Optional(Type.String({
    minLength: 1, maxLength: 100, examples: ['u-1'], description: 'Credit this user\'s EUR balance instead of the partner\'s',
  })),
}, { title: 'CreateHostedCheckout', description: 'A hosted checkout: an amount in EUR, with the partner\'s checkout settings', additionalProperties: false });

export const PaymentLinkCreated = Type.Object({
  paymentLinkId: Uuid,
  url: Type.String({ format: 'uri', description: 'The payer\'s page; shown once (only a hash of its token is kept)' }),
  status: StringEnum(valuesOf(PaymentLinkStatus), { examples: ['WAITING_FOR_PAYMENT'] }),
  expiresAt: Timestamp,
  amount: EurAmount('EUR due'),
  currency: StringEnum(['eur'] as const),
}, { title: 'PaymentLinkCreated', description: 'The new link and the URL to send the payer to' });

export const PaymentLinkTransaction = Type.Object({
  transactionId: Uuid,
  cryptoDepositId: Uuid,
  transactionHash: Type.String(),
  currency: StringEnum(CRYPTO_CODES, { examples: ['usdc'] }),
  network: Network,
  amount: Type.String({ description: 'Crypto received, at the currency\'s scale', examples: ['119.300617'] }),
  eurAmount: Nullable(EurAmount('EUR credited for this transfer (null while confirming)')),
  fee: Nullable(EurAmount('EUR kept as the conversion fee', '1.51')),
  rate: Nullable(Type.String({ description: 'EUR per unit the transfer was converted at (the quote\'s, or the current one)' })),
  confirmations: Type.Integer(),
  requiredConfirmations: Type.Integer(),
  status: StringEnum(valuesOf(PaymentLinkTransactionStatus)),
  late: Type.Boolean({ description: 'Seen after the link expired (settled all the same)' }),
  detectedAt: Timestamp,
  settledAt: Nullable(Timestamp),
}, { title: 'PaymentLinkTransaction', description: 'One on-chain transfer to the link' });

export const PaymentLinkQuote = Type.Object({
  quoteId: Uuid,
  currency: Currency,
  network: Network,
  address: Type.String(),
  amount: Type.String({ description: 'Crypto to send for the EUR still due', examples: ['119.300617'] }),
  eurAmount: EurAmount('EUR the quote covers'),
  rate: Type.String({ description: 'EUR per unit, fee included', examples: ['0.8382186347'] }),
  expiresAt: Timestamp,
}, { title: 'PaymentLinkQuote', description: 'The payer\'s current quote' });

export const PaymentLink = Type.Object({
  paymentLinkId: Uuid,
  type: StringEnum(['STANDARD', 'CHECKOUT'] as const),
  status: StringEnum(valuesOf(PaymentLinkStatus), { examples: ['COMPLETED'] }),
  exception: Nullable(StringEnum(valuesOf(PaymentLinkException), { description: 'What is unusual about the payments' })),
  currency: StringEnum(['eur'] as const),
  amount: EurAmount('EUR due'),
  amountReceived: EurAmount('EUR credited so far'),
  amountRemaining: EurAmount('EUR still due (0.00 when paid)', '0.00'),
  fee: EurAmount('EUR kept as conversion fees', '1.51'),
  description: Nullable(Type.String()),
  reference: Nullable(Type.String()),
  externalUserId: Nullable(Type.String({ description: 'The user credited instead of the partner' })),
  paymentTolerancePercent: Type.Number(),
  underpaymentWindowMinutes: Type.Number(),
  successUrl: Nullable(Type.String()),
  cancelUrl: Nullable(Type.String()),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  underpaymentWindowEndsAt: Nullable(Timestamp),
  completedAt: Nullable(Timestamp),
  quote: Nullable(PaymentLinkQuote),
  addresses: Type.Array(Type.Object({ network: Network, address: Type.String() })),
  transactions: Type.Array(PaymentLinkTransaction),
}, { title: 'PaymentLink', description: 'A payment link, its quote and every transfer it received' });

/** `/webhook/payment-link/status`: the link as Get Payment Link Details shows it, on every change. */
export const PaymentLinkWebhook = Type.Object(PaymentLink.properties, {
  title: 'PaymentLinkWebhook',
  description: 'Sent to /webhook/payment-link/status when a link is created, a transfer is seen or settled, or the status or exception changes',
});

export const PaymentLinkParams = Type.Object({ paymentLinkId: Type.String({ maxLength: 64 }) });

export const SandboxLinkPayment = Type.Object({
  currency: CurrencySlug,
  network: Type.Optional(NetworkSlug),
  amount: Amount,
}, { title: 'SandboxLinkPayment', additionalProperties: false });
