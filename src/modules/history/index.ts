import type { CentumModule } from '../../platform/module.js';
import { historyRoutes } from './routes.js';

/** Transaction history of the partner and of its users, read from the ledger's posting lines. */
export const historyModule: CentumModule = { name: 'history', routes: historyRoutes };
