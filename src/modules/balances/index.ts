import type { CentumModule } from '../../platform/module.js';
import { partnerBalancesRoutes } from './routes.js';

/** The partner's balances (the user's are served by the users module, which opens them through this one). */
export const balancesModule: CentumModule = { name: 'balances', routes: partnerBalancesRoutes };

export { Balances, CryptoBalance, FiatBalance } from './schemas.js';
export { balancesView, issueIban, nextAddressIndex, openBalances } from './service.js';
