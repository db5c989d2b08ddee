import type { CentumModule } from '../../platform/module.js';
import { transferRoutes, TransferWebhook } from './routes.js';

/** Internal transfers between the balances of one partner and its users. */
export const transfersModule: CentumModule = { name: 'transfers', routes: transferRoutes, webhooks: { 'transfer.status': TransferWebhook } };
