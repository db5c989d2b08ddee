import type { CentumModule } from '../platform/module.js';
import { adminModule } from './admin/index.js';
import { balancesModule } from './balances/index.js';
import { cryptoModule } from './crypto/index.js';
import { exchangeModule } from './exchange/index.js';
import { historyModule } from './history/index.js';
import { ordersModule } from './orders/index.js';
import { partnersModule } from './partners/index.js';
import { platformModule } from './platform/index.js';
import { sandboxModule } from './sandbox/index.js';
import { sepaModule } from './sepa/index.js';
import { transfersModule } from './transfers/index.js';
import { usersModule } from './users/index.js';
import { walletsModule } from './wallets/index.js';
import { webhooksModule } from './webhooks/index.js';

/**
 * Every module, one per folder. The server registers their routes in this order (public, then
 * admin, then partner, then sandbox routes), and the worker runs the jobs they declare.
 */
export const MODULES: readonly CentumModule[] = [
  platformModule,
  adminModule,
  partnersModule,
  sandboxModule,
  balancesModule,
  usersModule,
  historyModule,
  exchangeModule,
  ordersModule,
  transfersModule,
  sepaModule,
  cryptoModule,
  walletsModule,
  webhooksModule,
];
