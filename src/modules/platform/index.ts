import type { CentumModule } from '../../platform/module.js';
import { platformRoutes } from './routes.js';

/** GET /health. */
export const platformModule: CentumModule = { name: 'platform', publicRoutes: platformRoutes };
