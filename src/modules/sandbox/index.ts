import type { CentumModule } from '../../platform/module.js';
import { sandboxClockRoutes } from './clock.js';

/** The sandbox clock: a partner's simulated time moves on and every job that falls due runs. */
export const sandboxModule: CentumModule = { name: 'sandbox', sandboxRoutes: sandboxClockRoutes };
