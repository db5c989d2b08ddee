import type { FastifyPluginAsync } from 'fastify';
import { partnerBalancesRoutes } from './balances/routes.js';
import { userBalancesRoutes } from './balances/user-routes.js';
import { historyRoutes } from './history/routes.js';
import { userRoutes } from './users/routes.js';
import { sandboxKycRoutes } from './sandbox/kyc.js';
import { exchangeRoutes } from './exchange/routes.js';
import { orderRoutes } from './orders/routes.js';
import { transferRoutes } from './transfers/routes.js';
import { sandboxClockRoutes } from './sandbox/clock.js';
import { sepaRoutes } from './sepa/routes.js';
import { sandboxSepaRoutes } from './sepa/sandbox.js';
import { cryptoRoutes } from './crypto/routes.js';
import { sandboxCryptoRoutes } from './crypto/sandbox.js';
import { walletRoutes } from './wallets/routes.js';
import { webhookRoutes } from './webhooks/routes.js';

/**
 * Every module's routes. Partner modules run behind x-api-key auth and idempotency; sandbox
 * modules also, and only when CENTUM_SANDBOX is on. Public modules (web pages) have no auth.
 */
export const partnerModules: FastifyPluginAsync[] = [partnerBalancesRoutes, userRoutes, userBalancesRoutes, historyRoutes, exchangeRoutes, orderRoutes, transferRoutes, sepaRoutes, cryptoRoutes, walletRoutes, webhookRoutes];
export const sandboxModules: FastifyPluginAsync[] = [sandboxClockRoutes, sandboxKycRoutes, sandboxSepaRoutes, sandboxCryptoRoutes];
export const publicModules: FastifyPluginAsync[] = [];
