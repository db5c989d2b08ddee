import type { FastifyPluginAsync } from 'fastify';
import { partnerBalancesRoutes } from './balances/routes.js';
import { exchangeRoutes } from './exchange/routes.js';
import { sandboxClockRoutes } from './sandbox/clock.js';
import { sandboxFundingRoutes } from './sandbox/funding.js';

/**
 * Every module's routes. Partner modules run behind x-api-key auth and idempotency; sandbox
 * modules also, and only when CENTUM_SANDBOX is on. Public modules (web pages) have no auth.
 */
export const partnerModules: FastifyPluginAsync[] = [partnerBalancesRoutes, exchangeRoutes];
export const sandboxModules: FastifyPluginAsync[] = [sandboxClockRoutes, sandboxFundingRoutes];
export const publicModules: FastifyPluginAsync[] = [];
