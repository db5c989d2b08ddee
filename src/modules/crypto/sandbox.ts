import { parseAmount } from '../../kernel/money.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { Amount, CurrencySlug, errorResponses, NetworkSlug, StringEnum, Uuid } from '../../kernel/schemas.js';
import { CryptoDepositStatus, valuesOf } from '../../kernel/statuses.js';
import { receiveCryptoDeposit } from './deposits.js';
import { paymentLinkAddress, SandboxLinkPayment } from '../payment-links/index.js';
import { cryptoCurrency, cryptoNetwork } from './currency.js';

/**
 * POST /v1/sandbox/crypto-deposit: a transaction to a deposit address of this partner, one of its
 * users, or one of its orders. It confirms with the sandbox clock (advance it to finish).
 */
export const sandboxCryptoRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;
  app.post('/v1/sandbox/crypto-deposit', {
    schema: {
      operationId: 'simulateCryptoDeposit', tags: ['Sandbox'], summary: 'Simulate an incoming crypto deposit',
      description: 'Starts WAITING_FOR_VERIFICATION (UNSUCCESSFUL below minDeposit); advance the sandbox clock to confirm it.',
      body: Type.Object({
        address: Type.String({ minLength: 1, maxLength: 128, description: 'A deposit address of this partner, one of its users or one of its orders' }),
        currency: { ...CurrencySlug, examples: ['btc'] },
        network: Type.Optional({ ...NetworkSlug, maxLength: 32 }),
        amount: { ...Amount, examples: ['0.5'] },
        senderAddress: Type.Optional(Type.String({ maxLength: 128 })),
      }, { additionalProperties: false, title: 'SimulatedCryptoDepositRequest' }),
      response: {
        201: Type.Object({
          cryptoDepositId: Uuid,
          status: StringEnum(valuesOf(CryptoDepositStatus), { examples: ['WAITING_FOR_VERIFICATION'] }),
          transactionHash: Type.String(),
          requiredConfirmations: Type.Integer({ examples: [2] }),
        }, { title: 'SimulatedCryptoDeposit', description: 'The deposit seen on the simulated chain' }),
        ...errorResponses('P410', 'P632', 'P613'),
      },
    },
  }, async (request, reply) => {
    const currency = cryptoCurrency(request.body.currency);
    const network = cryptoNetwork(currency, request.body.network);
    const amount = parseAmount(request.body.amount, currency.scale);
    const now = partnerNow(request.partner.clockOffsetMs);
    const row = await db.tx((q) =>
      receiveCryptoDeposit(q, {
        partnerId: request.partner.id, now, rates: app.ctx.fx.rates,
        input: {
          address: request.body.address.trim(), currency: currency.code, network: network.code, amount,
          senderAddress: request.body.senderAddress,
        },
      }),
    );
    return reply.code(201).send({
      cryptoDepositId: row.id, status: row.status, transactionHash: row.transaction_hash, requiredConfirmations: row.required_confirmations,
    });
  });

  const DepositAnswer = Type.Object({
    cryptoDepositId: Uuid,
    status: StringEnum(valuesOf(CryptoDepositStatus), { examples: ['WAITING_FOR_VERIFICATION'] }),
    transactionHash: Type.String(),
    requiredConfirmations: Type.Integer(),
    address: Type.String(),
  }, { title: 'SandboxLinkDeposit', description: 'The simulated transfer, confirming' });

  // The payer's wallet paying a link: any amount, in any coin and network (the link's address on
  // that network is made if the payer never asked for a quote in it); it confirms with the clock.
  app.post('/v1/sandbox/payment-link/:paymentLinkId/pay', {
    schema: {
      operationId: 'simulatePaymentLinkPayment', tags: ['Sandbox'], summary: 'Simulate a payer\'s transfer to a payment link',
      description: 'Sends `amount` of `currency` on `network` to the link\'s address; advance the sandbox clock to confirm and settle it.',
      params: Type.Object({ paymentLinkId: Type.String({ maxLength: 64 }) }),
      body: SandboxLinkPayment,
      response: { 201: DepositAnswer, ...errorResponses('P680', 'P410', 'P632') },
    },
  }, async (request, reply) => {
    const currency = cryptoCurrency(request.body.currency);
    const network = cryptoNetwork(currency, request.body.network);
    const amount = parseAmount(request.body.amount, currency.scale);
    const now = partnerNow(request.partner.clockOffsetMs);
    const row = await db.tx(async (q) => {
      const address = await paymentLinkAddress(q, request.partner.id, request.params.paymentLinkId, network.code, app.ctx.config.secretKey);
      return receiveCryptoDeposit(q, {
        partnerId: request.partner.id, now, rates: app.ctx.fx.rates, input: { address, currency: currency.code, network: network.code, amount },
      });
    });
    return reply.code(201).send({
      cryptoDepositId: row.id, status: row.status, transactionHash: row.transaction_hash, requiredConfirmations: row.required_confirmations,
      address: row.address,
    });
  });
};
