import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CURRENCY_CODES } from '../../kernel/currencies.js';
import { answer, ErrorBody, StringEnum } from '../../kernel/schemas.js';
import { DatabaseUnavailableError, isConnectionError } from '../../kernel/db.js';
import { checkInvariant } from '../../ledger/index.js';

const Pool = Type.Object({
  total: Type.Integer(), idle: Type.Integer(),
  waiting: Type.Integer({ description: 'Requests waiting for a database connection' }),
}, { title: 'DatabasePool', description: 'The request pool\'s connections' });

/** How long /health waits for the database before it says `unreachable`. */
const PING_TIMEOUT_MS = 2000;

/**
 * GET /health: liveness and database; `?ledger=true` adds the ledger invariant check. The database
 * is checked on a connection of its own (not the request pool), within two seconds, so health
 * answers, and says what is wrong, while the pool is exhausted or PostgreSQL is down.
 */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    schema: {
      operationId: 'getHealth', tags: ['Platform'], summary: 'Health',
      description: 'Liveness and the database (on a connection of its own, within 2 s); `?ledger=true` adds the ledger invariant check.',
      querystring: Type.Object({ ledger: Type.Optional(Type.Boolean()) }),
      response: {
        200: Type.Object({
          status: StringEnum(['ok', 'degraded'] as string[], { description: 'degraded: the ledger check found a problem' }),
          database: StringEnum(['ok'] as string[]), pool: Pool,
          ledger: Type.Optional(Type.Object({
            balanced: Type.Boolean(),
            unbalancedCurrencies: Type.Array(Type.Object({ currency: StringEnum(CURRENCY_CODES as string[]), sum: Type.String() })),
            driftedAccounts: Type.Array(Type.String()),
            pendingMismatches: Type.Array(Type.String()),
          })),
        }, { title: 'Health', description: 'The server and its database answer' }),
        503: Type.Object({
          status: StringEnum(['error'] as string[]), database: StringEnum(['unreachable'] as string[]), pool: Pool,
          error: Type.String({ examples: ['connection failed'] }),
        }, { title: 'HealthFailure', description: 'The database does not answer (`Retry-After: 1`)' }),
        400: answer(ErrorBody, 'Error (`errorCode`):\n\n- `P403`: `ledger` is not true or false'),
      },
    },
  }, async (request, reply) => {
    const { db } = app.ctx;
    try {
      await db.ping(PING_TIMEOUT_MS);
    } catch (error) {
      request.log.error({ err: error }, 'health: database unreachable');
      // What is wrong, without the driver's text (addresses, names): the details are in the log.
      const reason = error instanceof DatabaseUnavailableError && !isConnectionError(error.cause)
        ? `no answer within ${PING_TIMEOUT_MS} ms`
        : 'connection failed';
      return reply.code(503).header('retry-after', '1')
        .send({ status: 'error', database: 'unreachable', pool: db.stats(), error: reason });
    }
    if (!request.query.ledger) return { status: 'ok', database: 'ok', pool: db.stats() };
    const ledger = await checkInvariant(db);
    return { status: ledger.balanced ? 'ok' : 'degraded', database: 'ok', pool: db.stats(), ledger };
  });
};
