import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkInvariant } from '../../ledger/index.js';

/** GET /health: liveness and database; `?ledger=true` adds the ledger invariant check. */
export const platformRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    schema: {
      tags: ['Platform'], summary: 'Health (database, optionally the ledger invariant)',
      querystring: Type.Object({ ledger: Type.Optional(Type.Boolean()) }),
      response: {
        200: Type.Object({
          status: Type.String(), database: Type.String(),
          ledger: Type.Optional(Type.Object({
            balanced: Type.Boolean(),
            unbalancedCurrencies: Type.Array(Type.Object({ currency: Type.String(), sum: Type.String() })),
            driftedAccounts: Type.Array(Type.String()),
            pendingMismatches: Type.Array(Type.String()),
          })),
        }),
        503: Type.Object({ status: Type.String(), database: Type.String() }),
      },
    },
  }, async (request, reply) => {
    try {
      await app.ctx.db.query('SELECT 1');
    } catch (error) {
      request.log.error({ err: error }, 'health: database unreachable');
      return reply.code(503).send({ status: 'error', database: 'unreachable' });
    }
    if (!request.query.ledger) return { status: 'ok', database: 'ok' };
    const ledger = await checkInvariant(app.ctx.db);
    return { status: ledger.balanced ? 'ok' : 'degraded', database: 'ok', ledger };
  });
};
