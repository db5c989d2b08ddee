import type { CentumModule } from '../../platform/module.js';
import { exchangeRoutes, ExchangeWebhook } from './routes.js';

/** Exchange between an owner's balances at a locked rate. Rate locks are shared with orders (purpose 'order'). */
export const exchangeModule: CentumModule = { name: 'exchange', routes: exchangeRoutes, webhooks: { 'exchange.status': ExchangeWebhook } };

export { RATE_DIGITS } from './quote.js';
export { checkLock, LOCK_SECONDS } from './service.js';
export { insertLock, lockForUse, markLockUsed, type LockRow } from './store.js';
