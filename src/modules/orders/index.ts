import type { CentumModule } from '../../platform/module.js';
import { orderRoutes, OrderWebhook } from './routes.js';
import { ASSIGN_JOB, assignAddress, EXPIRE_JOB, expireOrder } from './service.js';

/** Orders: crypto payments to an order's own address, converted to EUR for the partner at a locked rate. */
export const ordersModule: CentumModule = {
  name: 'orders',
  routes: orderRoutes,
  jobs: { [ASSIGN_JOB]: assignAddress, [EXPIRE_JOB]: expireOrder },
  webhooks: { 'order.status': OrderWebhook },
};

export { ASSIGN_JOB, EXPIRE_JOB };
/** What the crypto rail calls for deposits to an order's address. */
export { findOrderForDeposit, recordOrderPayment } from './service.js';
