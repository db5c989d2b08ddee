import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { Amount, CurrencySlug, Nullable, partnerErrors, Timestamp, Uuid } from '../../kernel/schemas.js';
import { createTransfer, getTransfer, parseTransfer } from './service.js';

const tags = ['Internal transfers'];
const ExternalId = Type.String({ minLength: 1, maxLength: 200 });

/** POST /v1/transfer and GET /v1/transfer/details/{transferId}. */
export const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;

  app.post('/v1/transfer', {
    schema: {
      tags,
      summary: 'Create a Transfer: partner -> user (destination only), user -> partner (source only), user -> user (both)',
      body: Type.Object({
        sourceExternalUserId: Type.Optional(ExternalId),
        destinationExternalUserId: Type.Optional(ExternalId),
        currency: CurrencySlug,
        amount: Amount,
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ transferId: Uuid }), ...partnerErrors },
    },
  }, async (request) => {
    parseTransfer(request.body); // input errors before any database work
    const now = partnerNow(request.partner.clockOffsetMs);
    const transferId = await createTransfer(db, request.partner.id, request.body, now); // one statement, no transaction
    return { transferId };
  });

  app.get('/v1/transfer/details/:transferId', {
    schema: {
      tags, summary: 'Get Transfer Details',
      params: Type.Object({ transferId: Type.String({ maxLength: 100 }) }),
      response: {
        200: Type.Object({
          transferId: Uuid,
          status: Type.String({ description: 'SUCCESSFUL (a transfer that cannot be made is refused and not stored)' }),
          amount: Type.String({ description: "Decimal string at the currency's scale" }),
          currency: Type.String(),
          sourceExternalUserId: Nullable(Type.String({ description: 'null: the partner' })),
          destinationExternalUserId: Nullable(Type.String({ description: 'null: the partner' })),
          createdAt: Timestamp,
        }),
        ...partnerErrors,
      },
    },
  }, async (request) => getTransfer(db, request.partner.id, request.params.transferId));
};
