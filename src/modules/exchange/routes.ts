import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CURRENCIES } from '../../kernel/currencies.js';
import { partnerNow } from '../../kernel/clock.js';
import { validationError } from '../../kernel/errors.js';
import { parseAmount } from '../../kernel/money.js';
import { Amount, CurrencySlug, Nullable, partnerErrors, Timestamp, Uuid } from '../../kernel/schemas.js';
import { twinRoutes } from '../../platform/twin-routes.js';
import { requireUser } from '../users/index.js';
import { quoteExchange } from './quote.js';
import { createExchangeLock, executeExchange, getExchange, parsePair, quoteView } from './service.js';

const Quote = {
  rate: Type.Number({ description: 'Units of currencyTo per unit of currencyFrom (mid rate, 12 significant digits, rounded down)' }),
  amountFrom: Type.String({ description: 'Decimal string at the scale of currencyFrom' }),
  amountTo: Type.String({ description: 'Decimal string at the scale of currencyTo: (amountFrom - fee) * rate, rounded down' }),
  fee: Type.String({ description: 'Fee in currencyFrom: amountFrom * feePercentage / 100, rounded up' }),
  feeCurrency: Type.String(),
  feePercentage: Type.Number({ examples: [1.49] }),
  currencyFrom: Type.String(),
  currencyTo: Type.String(),
};
const RateBody = Type.Object(Quote);
const LockBody = Type.Object({ lockId: Uuid, ...Quote, expiresAt: Timestamp });
const ExchangeDetails = Type.Object({
  exchangeId: Uuid,
  lockId: Uuid,
  status: Type.String({ description: 'COMPLETED (FAILED is never stored: a failing exchange is refused and moves nothing)' }),
  ...Quote,
  externalUserId: Nullable(Type.String()),
  expiresAt: Timestamp,
  createdAt: Timestamp,
  completedAt: Nullable(Timestamp),
});
const RateQuery = Type.Object({
  currencyFrom: CurrencySlug,
  currencyTo: CurrencySlug,
  amount: Type.String({ description: 'Amount of currencyFrom', examples: ['10'] }),
});
const ExchangeFields = {
  amount: Amount,
  currencyFrom: CurrencySlug,
  currencyTo: CurrencySlug,
  lockId: Uuid,
};
const tags = ['Exchange'];

/** Exchange on the partner's own balances (/v1/partner/exchange/...) and on users' (/v1/exchange/...). */
export const exchangeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, fx } = app.ctx;

  const quoteFor = (query: { currencyFrom: string; currencyTo: string; amount: string }, now: Date) => {
    const { from, to } = parsePair(query.currencyFrom, query.currencyTo);
    return quoteExchange(fx, { currencyFrom: from, currencyTo: to, amountFrom: parseAmount(query.amount, CURRENCIES[from].scale), at: now });
  };

  twinRoutes(app, {
    schema: { tags, querystring: RateQuery, response: { 200: RateBody, ...partnerErrors } },
    partner: { url: '/v1/partner/exchange/rate', summary: 'Retrieve Exchange Rate (indicative, creates nothing)' },
    user: { url: '/v1/exchange/rate', summary: 'Retrieve Exchange Rate (user; indicative, creates nothing)' },
    handler: async (request, _level) => {
      const quote = quoteFor(request.query, partnerNow(request.partner.clockOffsetMs));
      return quoteView({ ...quote, feePercent: quote.feeFraction.mul(100).toString() });
    },
  });

  twinRoutes(app, {
    schema: { tags, querystring: RateQuery, response: { 200: LockBody, ...partnerErrors } },
    partner: { url: '/v1/partner/exchange/get-lock', summary: 'Retrieve Exchange Rate and Create a Lock (40 s, one use)' },
    user: {
      url: '/v1/exchange/get-lock/:externalUserId', summary: "Retrieve Exchange Rate and Create a Lock for a user's balances (40 s, one use)",
      schema: { params: Type.Object({ externalUserId: Type.String({ minLength: 1, maxLength: 200 }) }) },
    },
    handler: async (request, level) => {
      const now = partnerNow(request.partner.clockOffsetMs);
      if (level === 'partner') {
        const quote = quoteFor(request.query, now);
        return createExchangeLock(db, { partnerId: request.partner.id, userId: null }, quote, now);
      }
      const user = await requireUser(db, request.partner.id, request.params.externalUserId, { moveMoney: true });
      const quote = quoteFor(request.query, now);
      return createExchangeLock(db, { partnerId: request.partner.id, userId: user.id }, quote, now);
    },
  });

  twinRoutes(app, {
    method: 'POST',
    schema: { tags, response: { 200: Type.Object({ exchangeId: Uuid }), ...partnerErrors } },
    partner: {
      url: '/v1/partner/exchange', summary: 'Create and Finalize an Exchange with a rate lock (lockId is mandatory)',
      schema: { body: Type.Object(ExchangeFields, { additionalProperties: false }) },
    },
    user: {
      url: '/v1/exchange', summary: "Create and Finalize an Exchange on a user's balances (externalUserId or sourceExternalUserId)",
      schema: {
        body: Type.Object({
          externalUserId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          sourceExternalUserId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          ...ExchangeFields,
        }, { additionalProperties: false }),
      },
    },
    handler: async (request, level) => {
      let externalId: string | null = null;
      if (level === 'user') {
        const { externalUserId, sourceExternalUserId } = request.body;
        if (externalUserId && sourceExternalUserId && externalUserId !== sourceExternalUserId) {
          throw validationError('externalUserId and sourceExternalUserId name different users');
        }
        externalId = externalUserId ?? sourceExternalUserId ?? null;
        if (!externalId) throw validationError('externalUserId should not be empty');
      }
      const { from, to } = parsePair(request.body.currencyFrom, request.body.currencyTo);
      const amount = parseAmount(request.body.amount, CURRENCIES[from].scale);
      const now = partnerNow(request.partner.clockOffsetMs);
      const exchangeId = await db.tx(async (q) => {
        const user = externalId === null ? null : await requireUser(q, request.partner.id, externalId, { moveMoney: true });
        const lockId = request.body.lockId;
        return executeExchange(q, { partnerId: request.partner.id, userId: user?.id ?? null, externalUserId: externalId, lockId, amount, from, to, now });
      });
      return { exchangeId };
    },
  });

  twinRoutes(app, {
    schema: {
      tags, params: Type.Object({ exchangeId: Type.String({ maxLength: 100 }) }),
      response: { 200: ExchangeDetails, ...partnerErrors },
    },
    partner: { url: '/v1/partner/exchange/details/:exchangeId', summary: 'Retrieve Detailed Exchange Information' },
    user: { url: '/v1/exchange/details/:exchangeId', summary: "Retrieve Detailed Exchange Information (a user's exchange)" },
    handler: async (request, level) => getExchange(db, request.partner.id, request.params.exchangeId, level === 'user'),
  });
};
