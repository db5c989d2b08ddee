import { parseAmount } from '../../kernel/money.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { Amount, CurrencySlug, errorResponses, NetworkSlug, StringEnum, Uuid } from '../../kernel/schemas.js';
import { CryptoDepositStatus, valuesOf } from '../../kernel/statuses.js';
import { receiveCryptoDeposit } from './deposits.js';
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
};
