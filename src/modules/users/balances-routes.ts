import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { answer, errorResponses } from '../../kernel/schemas.js';
import { Balances, balancesView } from '../balances/index.js';
import { UserParams } from './schemas.js';
import { requireUser } from './service.js';

/** Get User Balances, at the FAQ's path and at the path P100's client code calls; same body as the partner's. */
export const userBalancesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;
  for (const [path, summary, operationId] of [
    ['/v1/user/balances/:externalUserId', 'Get User Balances', 'getUserBalances'],
    ['/v1/user/:externalUserId/balances', 'Get User Balances (path used by P100 client code)', 'getUserBalancesByUserPath'],
  ] as const) {
    app.get(path, {
      schema: {
        operationId, tags: ['User balances'], summary, params: UserParams,
        description: "The user's balances: EUR (with its IBAN once KYC is approved) and one balance per crypto currency with its deposit address.",
        response: { 200: answer(Balances, "The user's balances"), ...errorResponses('P412', 'P610') },
      },
    }, async (request) => {
      const user = await requireUser(db, request.partner.id, request.params.externalUserId);
      return balancesView(db, { partnerId: request.partner.id, userId: user.id }, { at: partnerNow(request.partner.clockOffsetMs), rates: app.ctx.fx.rates });
    });
  }
};
