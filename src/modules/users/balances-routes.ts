import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { partnerErrors } from '../../kernel/schemas.js';
import { Balances, balancesView } from '../balances/index.js';
import { UserParams } from './schemas.js';
import { requireUser } from './service.js';

/** Get User Balances, at the FAQ's path and at the path P100's client code calls; same body as the partner's. */
export const userBalancesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;
  for (const [path, summary] of [
    ['/v1/user/balances/:externalUserId', 'Get User Balances'],
    ['/v1/user/:externalUserId/balances', 'Get User Balances (path used by P100 client code)'],
  ] as const) {
    app.get(path, {
      schema: { tags: ['User balances'], summary, params: UserParams, response: { 200: Balances, ...partnerErrors } },
    }, async (request) => {
      const user = await requireUser(db, request.partner.id, request.params.externalUserId);
      return balancesView(db, { partnerId: request.partner.id, userId: user.id }, { at: partnerNow(request.partner.clockOffsetMs), rates: app.ctx.fx.rates });
    });
  }
};
