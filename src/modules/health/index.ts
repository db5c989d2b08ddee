import type { CentumModule } from '../../platform/module.js';
import { healthRoutes } from './routes.js';

/** GET /health: the database and, on request, the ledger invariant. */
export const healthModule: CentumModule = { name: 'health', publicRoutes: healthRoutes };
