import type { CentumModule } from '../../platform/module.js';
import { userBalancesRoutes } from './balances-routes.js';
import { userRoutes } from './routes.js';
import { sandboxKycRoutes } from './sandbox.js';
import { UserStatusWebhook } from './schemas.js';

/** Users (KYC and non-KYC), their balances and, in the sandbox, the KYC provider's decision. */
export const usersModule: CentumModule = {
  name: 'users',
  routes: async (app) => {
    await app.register(userRoutes);
    await app.register(userBalancesRoutes);
  },
  sandboxRoutes: sandboxKycRoutes,
  webhooks: { 'user.status': UserStatusWebhook },
};

export { ExternalUserId, UserParams } from './schemas.js';
export { requireUser, requireUserAccounts, type UserRow } from './service.js';
export { knownBalance, rememberBalance, type BalanceIds } from './money-movers.js';
export { fullName, holderNames, UserObject, userObject } from './user-object.js';
