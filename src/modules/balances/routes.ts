import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { answer, errorResponses, Uuid } from '../../kernel/schemas.js';
import { Balances } from './schemas.js';
import { balancesView } from './service.js';

const Partner = Type.Object({
  id: Uuid,
  name: Type.String({ examples: ['Acme Pay'] }),
  now: Type.String({ format: 'date-time', description: "The partner's clock (the sandbox may have moved it)" }),
}, { title: 'PartnerIdentity', description: 'The partner an API key belongs to' });

export const partnerBalancesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;

  app.get('/v1/partner/balances', {
    schema: {
      operationId: 'getPartnerBalances', tags: ['Partner balances'], summary: 'Get Balances',
      description: "The partner's own balances: EUR with its IBAN and one balance per crypto currency with its deposit address.",
      response: { 200: answer(Balances, "The partner's balances"), ...errorResponses('P611') },
    },
  }, async (request) => {
    const view = await balancesView(db, { partnerId: request.partner.id }, { at: partnerNow(request.partner.clockOffsetMs), rates: app.ctx.fx.rates });
    if (!view.fiatBalances.length && !view.cryptoBalances.length) throw new ApiError('P611', 'Partner has no active balances');
    return view;
  });

  app.get('/v1/partner/me', {
    schema: {
      operationId: 'getPartnerIdentity', tags: ['Partner balances'], summary: 'The partner this API key belongs to (Centum)',
      description: "The partner's id and name, and the time on its clock (which `POST /v1/sandbox/clock/advance` moves).",
      response: { 200: answer(Partner, 'The partner and its clock'), ...errorResponses() },
    },
  }, async (request) => ({
    id: request.partner.id,
    name: request.partner.name,
    now: partnerNow(request.partner.clockOffsetMs).toISOString(),
  }));
};
