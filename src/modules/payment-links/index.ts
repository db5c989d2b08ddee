import type { CentumModule } from '../../platform/module.js';
import { payerPageRoutes } from './page.js';
import { paymentLinkRoutes } from './routes.js';
import { EXPIRE_JOB, QUOTE_EXPIRE_JOB } from './service.js';
import { expireLink, expireQuote } from './settlement.js';
import { PaymentLinkWebhook } from './schemas.js';

/**
 * Payment links and hosted checkout: an amount in EUR paid in crypto on a hosted page, each
 * confirmed transfer converted and credited once. The crypto deposit rail reports transfers to a
 * link's address here (findPaymentLinkForDeposit, recordPaymentLinkPayment).
 */
export const paymentLinksModule: CentumModule = {
  name: 'payment-links',
  routes: paymentLinkRoutes,
  publicRoutes: payerPageRoutes,
  jobs: { [EXPIRE_JOB]: expireLink, [QUOTE_EXPIRE_JOB]: expireQuote },
  webhooks: { 'payment_link.status': PaymentLinkWebhook },
};

export { EXPIRE_JOB, QUOTE_EXPIRE_JOB };
/** What the crypto rail calls for transfers to a link's address, and its sandbox payer. */
export { findPaymentLinkForDeposit, recordPaymentLinkPayment, type LinkPayment, type SettlementContext } from './settlement.js';
export { paymentLinkAddress } from './service.js';
export { PaymentLinkWebhook, SandboxLinkPayment } from './schemas.js';
export { CheckoutSettings } from './checkout-settings.js';
