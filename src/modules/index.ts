import type { Config } from '../config.js';
import type { JobRuntime } from '../jobs/queue.js';
import { jobHandlers, type CentumModule } from '../platform/module.js';
import { createFx } from '../rails/fx/rates.js';
import { adminModule } from './admin/index.js';
import { balancesModule } from './balances/index.js';
import { cardsModule } from './cards/index.js';
import { cryptoModule } from './crypto/index.js';
import { exchangeModule } from './exchange/index.js';
import { healthModule } from './health/index.js';
import { historyModule } from './history/index.js';
import { kycModule } from './kyc/index.js';
import { ordersModule } from './orders/index.js';
import { partnersModule } from './partners/index.js';
import { paymentLinksModule } from './payment-links/index.js';
import { sandboxModule } from './sandbox/index.js';
import { sepaModule } from './sepa/index.js';
import { transfersModule } from './transfers/index.js';
import { usersModule } from './users/index.js';
import { walletsModule } from './wallets/index.js';
import { resolveWithDns, webhooksModule } from './webhooks/index.js';

/**
 * Every module, one per folder (test/platform/modules.test.ts checks). The server registers their
 * routes in this order (public, then admin, then partner, then sandbox routes; the order is the
 * OpenAPI document's), and the worker and the sandbox clock run the jobs they declare.
 */
export const MODULES: readonly CentumModule[] = [
  healthModule,
  adminModule,
  partnersModule,
  sandboxModule,
  balancesModule,
  usersModule,
  kycModule,
  historyModule,
  exchangeModule,
  ordersModule,
  paymentLinksModule,
  transfersModule,
  sepaModule,
  cryptoModule,
  walletsModule,
  cardsModule,
  webhooksModule,
];

/** What a worker process (`centum worker`) runs jobs with: every module's handlers and the config's rails. */
export const workerRuntime = (config: Config): JobRuntime =>
  ({ handlers: jobHandlers(MODULES), config, fx: createFx(config.fx), resolveHost: resolveWithDns });
