import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { Amount, CurrencySlug, Nullable, partnerErrors, Timestamp, Uuid } from '../../kernel/schemas.js';
import { OrderStatus, valuesOf } from '../../kernel/statuses.js';
import { createOrder, getOrder, lockOrderRate, orderRates } from './service.js';

const tags = ['Orders'];

const OrderDetails = Type.Object({
  orderId: Uuid,
  lockId: Uuid,
  status: Type.String({ description: valuesOf(OrderStatus).join(', ') }),
  createdAt: Timestamp,
  confirmations: Type.Integer(),
  requiredConfirmations: Type.Integer(),
  receivedAmount: Type.Number(),
  totalAmountRequired: Type.Number(),
  cryptocurrency: Type.String(),
  currency: Type.String(),
  walletAddress: Nullable(Type.String()),
  transactionHash: Nullable(Type.String()),
  network: Type.String({ examples: ['POLYGON'] }),
  expiresAt: Nullable(Timestamp),
  rate: Type.String({ description: 'EUR per unit of the crypto, fee included' }),
  destinationCurrency: Type.String(),
  destinationAmount: Type.Number({ description: 'EUR the order settles when paid in full' }),
  settledAmount: Nullable(Type.Number({ description: 'EUR credited to the partner' })),
  fee: Nullable(Type.Number({ description: 'EUR kept as the exchange fee' })),
});

/** Orders: crypto payments converted to EUR for the partner (no /partner segment in the paths). */
export const orderRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app.ctx;

  app.get('/v1/order/rates', {
    schema: {
      tags, summary: 'Get Rates (indicative EUR per unit of each payment currency, fee included)',
      response: {
        200: Type.Object({
          destinationCurrency: Type.String(),
          feePercentage: Type.Number(),
          rates: Type.Array(Type.Object({ currency: Type.String(), network: Type.String(), rate: Type.String() })),
        }),
        ...partnerErrors,
      },
    },
  }, async (request) => orderRates(app.ctx.fx, partnerNow(request.partner.clockOffsetMs)));

  app.post('/v1/order/lock-rate', {
    schema: {
      tags, summary: 'Retrieve Order Rate and Create a Lock (amount = EUR to receive; 40 s)',
      body: Type.Object({
        currency: CurrencySlug,
        amount: Amount,
        network: Type.Optional(Type.String({ examples: ['polygon'] })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          lockId: Uuid,
          amount: Type.Number({ description: 'Crypto the payer must send' }),
          rate: Type.String({ description: 'EUR per unit of the crypto, fee included' }),
          expiresAt: Timestamp,
          currency: Type.String(),
          destinationCurrency: Type.String(),
          destinationAmount: Type.Number(),
          network: Type.String(),
        }),
        ...partnerErrors,
      },
    },
  }, async (request) => lockOrderRate(db, {
    partnerId: request.partner.id, body: request.body, now: partnerNow(request.partner.clockOffsetMs), fx: app.ctx.fx,
  }));

  app.post('/v1/order', {
    schema: {
      tags, summary: 'Create and Finalize an Order with a rate lock',
      body: Type.Object({ lockId: Uuid }, { additionalProperties: false }),
      response: { 200: Type.Object({ orderId: Uuid }), ...partnerErrors },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const orderId = await db.tx((q) => createOrder(q, request.partner.id, config.secretKey, request.body.lockId, now));
    return { orderId };
  });

  app.get('/v1/order/details/:orderId', {
    schema: {
      tags, summary: 'Get Order Details',
      params: Type.Object({ orderId: Type.String({ maxLength: 100 }) }),
      response: { 200: OrderDetails, ...partnerErrors },
    },
  }, async (request) => getOrder(db, request.partner.id, request.params.orderId));
};
