import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CURRENCIES, CURRENCY_CODES } from '../../kernel/currencies.js';
import { partnerNow } from '../../kernel/clock.js';
import { validationError } from '../../kernel/errors.js';
import { parseAmount } from '../../kernel/money.js';
import { Amount, answer, CurrencySlug, errorResponses, Nullable, StringEnum, Timestamp, Uuid } from '../../kernel/schemas.js';
import { ExchangeStatus, valuesOf } from '../../kernel/statuses.js';
import { twinRoutes } from '../../platform/twin-routes.js';
import { requireUser } from '../users/index.js';
import { quoteExchange } from './quote.js';
import { createExchangeLock, executeExchange, getExchange, parsePair, quoteView } from './service.js';

const CurrencyCodeEnum = StringEnum(CURRENCY_CODES);
const Quote = {
  rate: Type.Number({ description: 'Units of currencyTo per unit of currencyFrom (mid rate, 12 significant digits, rounded down)', examples: [0.000016327] }),
  amountFrom: Type.String({ description: 'Decimal string at the scale of currencyFrom', examples: ['100.00'] }),
  amountTo: Type.String({ description: 'Decimal string at the scale of currencyTo: (amountFrom - fee) * rate, rounded down', examples: ['0.00160837'] }),
  fee: Type.String({ description: 'Fee in currencyFrom: amountFrom * feePercentage / 100, rounded up', examples: ['1.49'] }),
  feeCurrency: CurrencyCodeEnum,
  feePercentage: Type.Number({ examples: [1.49] }),
  currencyFrom: CurrencyCodeEnum,
  currencyTo: CurrencyCodeEnum,
};
const RateBody = Type.Object(Quote, { title: 'ExchangeRate', description: 'An indicative quote (nothing is reserved)' });
const LockBody = Type.Object({ lockId: Uuid, ...Quote, expiresAt: Timestamp }, {
  title: 'ExchangeLock', description: 'A quote held for 40 seconds for one exchange of exactly this amount and pair',
});
const ExchangeDetails = Type.Object({
  exchangeId: Uuid,
  lockId: Uuid,
  status: StringEnum(valuesOf(ExchangeStatus), { description: 'COMPLETED (FAILED is never stored: a failing exchange is refused and moves nothing)' }),
  ...Quote,
  externalUserId: Nullable(Type.String({ description: 'null: the partner\'s own balances' })),
  expiresAt: Timestamp,
  createdAt: Timestamp,
  completedAt: Nullable(Timestamp),
}, { title: 'Exchange', description: 'An exchange and the quote it was made at' });
/** `exchange.status`: the exchange's details with `id` and `amount` (of currencyFrom, a number). */
export const ExchangeWebhook = Type.Object({ id: Uuid, ...ExchangeDetails.properties, amount: Type.Number({ examples: [100] }) }, {
  title: 'ExchangeWebhook', description: 'An exchange was made (COMPLETED).',
});
const ExchangeCreated = Type.Object({ exchangeId: Uuid }, { title: 'ExchangeCreated', description: 'The id of the completed exchange' });
const RateQuery = Type.Object({
  currencyFrom: CurrencySlug,
  currencyTo: CurrencySlug,
  amount: Type.String({ description: 'Amount of currencyFrom', examples: ['100'] }),
});
const ExchangeFields = {
  amount: Amount,
  currencyFrom: CurrencySlug,
  currencyTo: CurrencySlug,
  lockId: Type.String({ format: 'uuid', description: 'From a lock of the same owner, pair and amount (get-lock)' }),
};
/** What moving money by or for a user may answer besides the operation's own codes. */
const USER_MOVES = ['P412', 'P610', 'P455', 'P459'] as const;
const EXECUTE = ['P623', 'P620', 'P621', 'P622', 'P627', 'P433', 'P611', 'P612', 'P610'] as const;
const tags = ['Exchange'];

/** Exchange on the partner's own balances (/v1/partner/exchange/...) and on users' (/v1/exchange/...). */
export const exchangeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, fx } = app.ctx;

  const quoteFor = (query: { currencyFrom: string; currencyTo: string; amount: string }, now: Date) => {
    const { from, to } = parsePair(query.currencyFrom, query.currencyTo);
    return quoteExchange(fx, { currencyFrom: from, currencyTo: to, amountFrom: parseAmount(query.amount, CURRENCIES[from].scale), at: now });
  };

  twinRoutes(app, {
    schema: {
      tags, querystring: RateQuery,
      description: 'What `amount` of currencyFrom would buy now, after the fee. Indicative: it reserves nothing; lock a rate to exchange.',
      response: { 200: answer(RateBody, 'The indicative quote'), ...errorResponses('P623', 'P615') },
    },
    partner: { url: '/v1/partner/exchange/rate', operationId: 'getPartnerExchangeRate', summary: 'Retrieve Exchange Rate' },
    user: { url: '/v1/exchange/rate', operationId: 'getExchangeRate', summary: 'Retrieve Exchange Rate (user)' },
    handler: async (request, _level) => {
      const quote = quoteFor(request.query, partnerNow(request.partner.clockOffsetMs));
      return quoteView({ ...quote, feePercent: quote.feeFraction.mul(100).toString() });
    },
  });

  twinRoutes(app, {
    schema: {
      tags, querystring: RateQuery,
      description: 'Quotes the exchange and holds the quote for 40 seconds (of the partner\'s clock) for one exchange of exactly this pair and amount.',
      response: { 200: answer(LockBody, 'The lock: its id, the quote and when it expires'), ...errorResponses('P623', 'P615') },
    },
    partner: { url: '/v1/partner/exchange/get-lock', operationId: 'createPartnerExchangeLock', summary: 'Retrieve Exchange Rate and Create a Lock' },
    user: {
      url: '/v1/exchange/get-lock/:externalUserId', operationId: 'createExchangeLock', summary: "Retrieve Exchange Rate and Create a Lock (a user's balances)",
      schema: {
        params: Type.Object({ externalUserId: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: answer(LockBody, 'The lock: its id, the quote and when it expires'), ...errorResponses('P623', 'P615', ...USER_MOVES) },
      },
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
    schema: {
      tags,
      description: 'Exchanges at a rate lock (lockId is mandatory; same pair and amount as the lock), in one step: COMPLETED when it answers, '
        + 'or refused and nothing moved. Sends the `exchange.status` webhook.',
    },
    partner: {
      url: '/v1/partner/exchange', operationId: 'createPartnerExchange', summary: 'Create and Finalize an Exchange',
      schema: {
        body: Type.Object(ExchangeFields, { additionalProperties: false, title: 'PartnerExchangeRequest' }),
        response: { 200: ExchangeCreated, ...errorResponses(...EXECUTE) },
      },
    },
    user: {
      url: '/v1/exchange', operationId: 'createExchange', summary: "Create and Finalize an Exchange (a user's balances)",
      schema: {
        body: Type.Object({
          externalUserId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The user (or sourceExternalUserId)' })),
          sourceExternalUserId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Same as externalUserId (older P100 name)' })),
          ...ExchangeFields,
        }, { additionalProperties: false, title: 'ExchangeRequest' }),
        response: { 200: ExchangeCreated, ...errorResponses(...EXECUTE, ...USER_MOVES) },
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
      description: 'An exchange with its quote and status. The partner side finds the partner\'s own exchanges, the user side those of its users.',
      response: { 200: answer(ExchangeDetails, 'The exchange'), ...errorResponses('P624') },
    },
    partner: { url: '/v1/partner/exchange/details/:exchangeId', operationId: 'getPartnerExchange', summary: 'Retrieve Detailed Exchange Information' },
    user: { url: '/v1/exchange/details/:exchangeId', operationId: 'getExchange', summary: "Retrieve Detailed Exchange Information (a user's exchange)" },
    handler: async (request, level) => getExchange(db, request.partner.id, request.params.exchangeId, level === 'user'),
  });
};
