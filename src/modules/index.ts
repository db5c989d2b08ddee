import type { FastifyPluginAsync } from 'fastify';
import { partnerBalancesRoutes } from './balances/routes.js';
import { sandboxClockRoutes } from './sandbox/clock.js';

/**
 * Every module's routes. Partner modules run behind x-api-key auth and idempotency; sandbox
 * modules also, and only when CENTUM_SANDBOX is on. Public modules (web pages) have no auth.
 */
export const partnerModules: FastifyPluginAsync[] = [partnerBalancesRoutes];
export const sandboxModules: FastifyPluginAsync[] = [sandboxClockRoutes];
export const publicModules: FastifyPluginAsync[] = [];
