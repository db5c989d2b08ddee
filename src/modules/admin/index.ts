import type { CentumModule } from '../../platform/module.js';
import { adminRoutes } from './routes.js';

/** The operator API: partners and their secrets. */
export const adminModule: CentumModule = { name: 'admin', adminRoutes };
