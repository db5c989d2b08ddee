import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CURRENCIES } from '../../kernel/currencies.js';
import { partnerNow } from '../../kernel/clock.js';
import { validationError } from '../../kernel/errors.js';
import { parseAmount } from '../../kernel/money.js';
import { Amount, CurrencySlug, Nullable, partnerErrors, Timestamp, Uuid } from '../../kernel/schemas.js';
import { configureFx } from '../../rails/fx/rates.js';
import { requireUser } from '../users/service.js';
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
  const { db, config } = app.ctx;
  configureFx(config.fx);

  const quoteFor = (query: { currencyFrom: string; currencyTo: string; amount: string }, now: Date) => {
    const { from, to } = parsePair(query.currencyFrom, query.currencyTo);
    return quoteExchange(from, to, parseAmount(query.amount, CURRENCIES[from].scale), now);
  };
  const rateHandler = async (request: { query: { currencyFrom: string; currencyTo: string; amount: string }; partner: { clockOffsetMs: bigint } }) => {
    const quote = quoteFor(request.query, partnerNow(request.partner.clockOffsetMs));
    return quoteView({ ...quote, feePercent: quote.feeFraction.mul(100).toString() });
  };

  for (const [path, summary] of [
    ['/v1/partner/exchange/rate', 'Retrieve Exchange Rate (indicative, creates nothing)'],
    ['/v1/exchange/rate', 'Retrieve Exchange Rate (user; indicative, creates nothing)'],
  ] as const) {
    app.get(path, { schema: { tags, summary, querystring: RateQuery, response: { 200: RateBody, ...partnerErrors } } }, rateHandler);
  }

  app.get('/v1/partner/exchange/get-lock', {
    schema: {
      tags, summary: 'Retrieve Exchange Rate and Create a Lock (40 s, one use)',
      querystring: RateQuery, response: { 200: LockBody, ...partnerErrors },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const quote = quoteFor(request.query, now);
    return createExchangeLock(db, { partnerId: request.partner.id, userId: null }, quote, now);
  });

  app.get('/v1/exchange/get-lock/:externalUserId', {
    schema: {
      tags, summary: "Retrieve Exchange Rate and Create a Lock for a user's balances (40 s, one use)",
      params: Type.Object({ externalUserId: Type.String({ minLength: 1, maxLength: 200 }) }),
      querystring: RateQuery, response: { 200: LockBody, ...partnerErrors },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const user = await requireUser(db, request.partner.id, request.params.externalUserId, { moveMoney: true });
    const quote = quoteFor(request.query, now);
    return createExchangeLock(db, { partnerId: request.partner.id, userId: user.id }, quote, now);
  });

  app.post('/v1/partner/exchange', {
    schema: {
      tags, summary: 'Create and Finalize an Exchange with a rate lock (lockId is mandatory)',
      body: Type.Object(ExchangeFields, { additionalProperties: false }),
      response: { 200: Type.Object({ exchangeId: Uuid }), ...partnerErrors },
    },
  }, async (request) => {
    const { from, to } = parsePair(request.body.currencyFrom, request.body.currencyTo);
    const amount = parseAmount(request.body.amount, CURRENCIES[from].scale);
    const now = partnerNow(request.partner.clockOffsetMs);
    const exchangeId = await db.tx((q) =>
      executeExchange(q, { partnerId: request.partner.id, userId: null, externalUserId: null, lockId: request.body.lockId, amount, from, to, now }),
    );
    return { exchangeId };
  });

  app.post('/v1/exchange', {
    schema: {
      tags, summary: "Create and Finalize an Exchange on a user's balances (externalUserId or sourceExternalUserId)",
      body: Type.Object({
        externalUserId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        sourceExternalUserId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        ...ExchangeFields,
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ exchangeId: Uuid }), ...partnerErrors },
    },
  }, async (request) => {
    const { externalUserId, sourceExternalUserId } = request.body;
    if (externalUserId && sourceExternalUserId && externalUserId !== sourceExternalUserId) {
      throw validationError('externalUserId and sourceExternalUserId name different users');
    }
    const externalId = externalUserId ?? sourceExternalUserId;
    if (!externalId) throw validationError('externalUserId should not be empty');
    const { from, to } = parsePair(request.body.currencyFrom, request.body.currencyTo);
    const amount = parseAmount(request.body.amount, CURRENCIES[from].scale);
    const now = partnerNow(request.partner.clockOffsetMs);
    const exchangeId = await db.tx(async (q) => {
      const user = await requireUser(q, request.partner.id, externalId, { moveMoney: true });
      return executeExchange(q, { partnerId: request.partner.id, userId: user.id, externalUserId: externalId, lockId: request.body.lockId, amount, from, to, now });
    });
    return { exchangeId };
  });

  for (const [path, userLevel] of [['/v1/partner/exchange/details/:exchangeId', false], ['/v1/exchange/details/:exchangeId', true]] as const) {
    app.get(path, {
      schema: {
        tags, summary: userLevel ? "Retrieve Detailed Exchange Information (a user's exchange)" : 'Retrieve Detailed Exchange Information',
        params: Type.Object({ exchangeId: Type.String({ maxLength: 100 }) }),
        response: { 200: ExchangeDetails, ...partnerErrors },
      },
    }, async (request) => getExchange(db, request.partner.id, request.params.exchangeId, userLevel));
  }
};
