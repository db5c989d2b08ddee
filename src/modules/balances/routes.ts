import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { partnerErrors, Uuid } from '../../kernel/schemas.js';
import { Balances } from './schemas.js';
import { balancesView } from './service.js';

export const partnerBalancesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;

  app.get('/v1/partner/balances', {
    schema: {
      tags: ['Partner balances'], summary: 'Get Balances',
      response: { 200: Balances, ...partnerErrors },
    },
  }, async (request) => {
    const view = await balancesView(db, { partnerId: request.partner.id }, { at: partnerNow(request.partner.clockOffsetMs), rates: app.ctx.fx.rates });
    if (!view.fiatBalances.length && !view.cryptoBalances.length) throw new ApiError('P611', 'Partner has no active balances');
    return view;
  });

  app.get('/v1/partner/me', {
    schema: {
      tags: ['Partner balances'], summary: 'The partner this API key belongs to (Centum)',
      response: { 200: Type.Object({ id: Uuid, name: Type.String(), now: Type.String({ format: 'date-time' }) }), ...partnerErrors },
    },
  }, async (request) => ({
    id: request.partner.id,
    name: request.partner.name,
    now: partnerNow(request.partner.clockOffsetMs).toISOString(),
  }));
};
