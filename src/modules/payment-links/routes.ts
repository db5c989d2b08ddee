import { publicBaseUrl } from '../../kernel/web/page.js';
import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { errorResponses } from '../../kernel/schemas.js';
import { CheckoutSettings, DEFAULT_CHECKOUT, getCheckoutSettings, saveCheckoutSettings } from './checkout-settings.js';
import { CreateHostedCheckout, CreatePaymentLink, PaymentLink, PaymentLinkCreated, PaymentLinkParams } from './schemas.js';
import { createLink, getLink } from './service.js';

const tags = ['Payment links'];

/** Payment links and hosted checkout (spec rows 20-22), and the partner's checkout settings. */
export const paymentLinkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app.ctx;

  app.post('/v1/payment-link', {
    schema: {
      operationId: 'createPaymentLink', tags, summary: 'Generate Payment Link',
      description: 'A hosted page where a payer pays an amount in EUR with the crypto of their choice; each confirmed transfer is '
        + 'converted to EUR and credited to the partner. Standard branding and rules (expiry 60 min unless expiryMinutes, '
        + 'underpayment window 30 min, no tolerance).',
      body: CreatePaymentLink,
      response: { 200: PaymentLinkCreated, ...errorResponses('P615') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    return db.tx((q) => createLink(q, {
      partnerId: request.partner.id, kind: 'STANDARD', body: request.body, settings: DEFAULT_CHECKOUT, now, publicUrl: publicBaseUrl(config.publicUrl, request),
    }));
  });

  app.post('/v1/payment-link/checkout', {
    schema: {
      operationId: 'createHostedCheckout', tags, summary: 'Generate Hosted Checkout',
      description: 'A payment link with the partner\'s checkout settings (GET/PUT /v1/partner/checkout-settings): display name, logo, '
        + 'colour, expiry, underpayment window, payment tolerance, success and cancel URLs; optionally credits one of the partner\'s users.',
      body: CreateHostedCheckout,
      response: {
        200: PaymentLinkCreated,
        ...errorResponses('P615', 'P412', 'P610', 'P455', 'P459', 'P611', 'P612'),
      },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    return db.tx(async (q) => createLink(q, {
      partnerId: request.partner.id, kind: 'CHECKOUT', body: request.body, settings: await getCheckoutSettings(q, request.partner.id),
      now, publicUrl: publicBaseUrl(config.publicUrl, request),
    }));
  });

  app.get('/v1/payment-link/details/:paymentLinkId', {
    schema: {
      operationId: 'getPaymentLinkDetails', tags, summary: 'Get Payment Link Details',
      description: 'Status, EUR amounts due, received and remaining, the payer\'s current quote and every on-chain transfer (`transactions`).',
      params: PaymentLinkParams,
      response: { 200: PaymentLink, ...errorResponses('P680') },
    },
  }, async (request) => getLink(db, request.partner.id, request.params.paymentLinkId));

  app.get('/v1/partner/checkout-settings', {
    schema: {
      operationId: 'getCheckoutSettings', tags, summary: 'Get Checkout Settings',
      description: 'The hosted checkout configuration (defaults until saved).',
      response: { 200: CheckoutSettings, ...errorResponses() },
    },
  }, async (request) => getCheckoutSettings(db, request.partner.id));

  app.put('/v1/partner/checkout-settings', {
    schema: {
      operationId: 'updateCheckoutSettings', tags, summary: 'Update Checkout Settings',
      description: 'Replaces the hosted checkout configuration; links already created keep the settings they were made with.',
      body: CheckoutSettings,
      response: { 200: CheckoutSettings, ...errorResponses() },
    },
  }, async (request) => db.tx((q) => saveCheckoutSettings(q, request.partner.id, request.body, partnerNow(request.partner.clockOffsetMs))));
};
