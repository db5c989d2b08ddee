import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { CRYPTO_CODES, NETWORK_CODES } from '../../kernel/currencies.js';
import { Amount, answer, CurrencySlug, errorResponses, NetworkSlug, Nullable, StringEnum, Timestamp, Uuid } from '../../kernel/schemas.js';
import { OrderStatus, valuesOf } from '../../kernel/statuses.js';
import { createOrder, getOrder, lockOrderRate, orderRates } from './service.js';

const tags = ['Orders'];

const CryptoCode = StringEnum(CRYPTO_CODES, { examples: ['usdc'] });
// Typed string: the service answers the literal as a string.
const Eur = StringEnum(['eur'] as string[], { description: 'Orders settle in EUR' });

const OrderDetails = Type.Object({
  orderId: Uuid,
  lockId: Uuid,
  status: StringEnum(valuesOf(OrderStatus)),
  createdAt: Timestamp,
  confirmations: Type.Integer({ examples: [0] }),
  requiredConfirmations: Type.Integer({ examples: [32] }),
  receivedAmount: Type.Number({ description: 'Crypto received so far', examples: [0] }),
  totalAmountRequired: Type.Number({ description: 'Crypto the payer must send', examples: [10.3] }),
  cryptocurrency: CryptoCode,
  currency: CryptoCode,
  walletAddress: Nullable(Type.String({ description: 'Where the payer sends the crypto', examples: ['0x52908400098527886E0F7030069857D2E4169EE7'] })),
  transactionHash: Nullable(Type.String()),
  network: StringEnum(NETWORK_CODES.map((n) => n.toUpperCase()) as string[], { description: 'Network, upper case (as P100 answers it)', examples: ['POLYGON'] }),
  expiresAt: Nullable(Timestamp),
  rate: Type.String({ description: 'EUR per unit of the crypto, fee included', examples: ['0.9708737864'] }),
  destinationCurrency: Eur,
  destinationAmount: Type.Number({ description: 'EUR the order settles when paid in full', examples: [10] }),
  settledAmount: Nullable(Type.Number({ description: 'EUR credited to the partner' })),
  fee: Nullable(Type.Number({ description: 'EUR kept as the exchange fee' })),
}, { title: 'Order', description: 'A crypto payment order and its progress' });

/** The order webhook's body: the details with the order's id as `id`. */
export const OrderWebhook = Type.Object({ id: Uuid, ...OrderDetails.properties }, {
  title: 'OrderWebhook', description: 'An order changed status (waiting for payment, confirming, completed, underpaid, expired).',
});

const OrderLock = Type.Object({
  lockId: Uuid,
  amount: Type.Number({ description: 'Crypto the payer must send', examples: [10.3] }),
  rate: Type.String({ description: 'EUR per unit of the crypto, fee included', examples: ['0.9708737864'] }),
  expiresAt: Timestamp,
  currency: CryptoCode,
  destinationCurrency: Eur,
  destinationAmount: Type.Number({ description: 'EUR the partner receives', examples: [10] }),
  network: StringEnum(NETWORK_CODES, { examples: ['polygon'] }),
}, { title: 'OrderLock', description: 'An order quote held for 40 seconds' });

const OrderRates = Type.Object({
  destinationCurrency: Eur,
  feePercentage: Type.Number({ examples: [1.49] }),
  rates: Type.Array(Type.Object({
    currency: CryptoCode, network: StringEnum(NETWORK_CODES), rate: Type.String({ description: 'EUR per unit, fee included', examples: ['0.9708737864'] }),
  })),
}, { title: 'OrderRates', description: 'Indicative EUR per unit of each payment currency and network' });

/** Orders: crypto payments converted to EUR for the partner (no /partner segment in the paths). */
export const orderRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app.ctx;

  app.get('/v1/order/rates', {
    schema: {
      operationId: 'getOrderRates', tags, summary: 'Get Rates',
      description: 'Indicative EUR per unit of each payment currency and network, fee included. Reserves nothing.',
      response: { 200: answer(OrderRates, 'The rates'), ...errorResponses() },
    },
  }, async (request) => orderRates(app.ctx.fx, partnerNow(request.partner.clockOffsetMs)));

  app.post('/v1/order/lock-rate', {
    schema: {
      operationId: 'createOrderLock', tags, summary: 'Retrieve Order Rate and Create a Lock',
      description: '`amount` is the EUR the partner wants to receive; the answer says how much crypto the payer must send. '
        + 'The quote is held 40 seconds for one order.',
      body: Type.Object({
        currency: { ...CurrencySlug, description: 'The crypto the payer sends' },
        amount: { ...Amount, description: 'EUR to receive (at least 1.00)' },
        network: Type.Optional(NetworkSlug),
      }, { additionalProperties: false, title: 'OrderLockRequest' }),
      response: { 200: answer(OrderLock, 'The lock: the crypto amount to pay and when the quote expires'), ...errorResponses('P410', 'P632', 'P615') },
    },
  }, async (request) => lockOrderRate(db, {
    partnerId: request.partner.id, body: request.body, now: partnerNow(request.partner.clockOffsetMs), fx: app.ctx.fx,
  }));

  app.post('/v1/order', {
    schema: {
      operationId: 'createOrder', tags, summary: 'Create and Finalize an Order',
      description: 'Opens the order of a lock: a deposit address for the payer (details: walletAddress) that expires with the order. '
        + 'The `order.status` webhook reports its progress.',
      body: Type.Object({ lockId: Uuid }, { additionalProperties: false, title: 'OrderRequest' }),
      response: {
        200: Type.Object({ orderId: Uuid }, { title: 'OrderCreated', description: 'The id of the new order' }),
        ...errorResponses('P620', 'P621', 'P622'),
      },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const orderId = await db.tx((q) => createOrder(q, request.partner.id, config.secretKey, request.body.lockId, now));
    return { orderId };
  });

  app.get('/v1/order/details/:orderId', {
    schema: {
      operationId: 'getOrder', tags, summary: 'Get Order Details',
      description: 'An order with its payment address, amounts and confirmations.',
      params: Type.Object({ orderId: Type.String({ maxLength: 100 }) }),
      response: { 200: answer(OrderDetails, 'The order'), ...errorResponses('P626') },
    },
  }, async (request) => getOrder(db, request.partner.id, request.params.orderId));
};
