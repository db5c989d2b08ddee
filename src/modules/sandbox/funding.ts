import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../../kernel/errors.js';
import { findNetwork } from '../../kernel/currencies.js';
import { newId } from '../../kernel/ids.js';
import { parseAmount, toMinor } from '../../kernel/money.js';
import { Amount, CurrencySlug, parseCurrency, partnerErrors, Uuid } from '../../kernel/schemas.js';
import { findAccount, post, type AccountRow } from '../../ledger/index.js';
import { FAMILY_OF_NETWORK } from '../../rails/chains/addresses.js';
import { normalizeIban } from '../../rails/sepa/iban.js';

/**
 * Sandbox funding: money arriving from outside. Simple immediate credit; the SEPA and crypto
 * rails module gives these their full lifecycle (name check, confirmations, travel rule).
 */
export const sandboxFundingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;

  app.post('/v1/sandbox/sepa-deposit', {
    schema: {
      tags: ['Sandbox'], summary: 'Simulate an incoming SEPA transfer to an IBAN of this partner or its users',
      body: Type.Object({
        iban: Type.String({ minLength: 1 }),
        amount: Amount,
        senderName: Type.Optional(Type.String({ maxLength: 140 })),
        senderIban: Type.Optional(Type.String()),
        reference: Type.Optional(Type.String({ maxLength: 140 })),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ depositId: Uuid, status: Type.String(), amount: Type.String(), iban: Type.String() }), ...partnerErrors },
    },
  }, async (request, reply) => {
    const iban = normalizeIban(request.body.iban);
    if (!iban) throw new ApiError('P630');
    const amount = parseAmount(request.body.amount, 2);
    const depositId = newId();
    await db.tx(async (q) => {
      const [account] = await q.query<AccountRow>(
        `SELECT * FROM accounts WHERE iban = $1 AND partner_id = $2 AND owner_type <> 'house'`,
        [iban, request.partner.id],
      );
      if (!account) throw new ApiError('P613');
      if (account.status !== 'ACTIVE') throw new ApiError('P612');
      await post(q, {
        partnerId: request.partner.id, kind: 'sepa_deposit', refId: depositId,
        description: request.body.senderName ? `SEPA from ${request.body.senderName}` : 'SEPA deposit',
        lines: [
          { account: { house: 'sepa' }, currency: 'eur', amount: -amount },
          { account: { accountId: account.id }, currency: 'eur', amount },
        ],
      });
    });
    return reply.code(201).send({ depositId, status: 'APPROVED', amount: request.body.amount.toString(), iban });
  });

  app.post('/v1/sandbox/crypto-deposit', {
    schema: {
      tags: ['Sandbox'], summary: 'Simulate an incoming crypto deposit to an address of this partner or its users',
      body: Type.Object({
        address: Type.String({ minLength: 1 }),
        currency: CurrencySlug,
        network: Type.Optional(Type.String()),
        amount: Amount,
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ cryptoDepositId: Uuid, status: Type.String() }), ...partnerErrors },
    },
  }, async (request, reply) => {
    const currency = parseCurrency(request.body.currency, 'currency', ['btc', 'eth', 'ltc', 'doge', 'pol', 'usdc', 'usdt']);
    const network = findNetwork(currency, request.body.network);
    if (!network) throw new ApiError('P632');
    const amount = parseAmount(request.body.amount, currency.scale);
    if (amount < toMinor(network.minDeposit, currency.scale)) throw new ApiError('P615', `Minimum deposit is ${network.minDeposit}`);
    const depositId = newId();
    await db.tx(async (q) => {
      const [owner] = await q.query<{ partner_id: string; user_id: string | null }>(
        'SELECT partner_id, user_id FROM wallet_addresses WHERE family = $1 AND address = $2 AND partner_id = $3',
        [FAMILY_OF_NETWORK[network.code], request.body.address, request.partner.id],
      );
      if (!owner) throw new ApiError('P613');
      const account = await findAccount(q, { partnerId: owner.partner_id, userId: owner.user_id }, currency.code);
      if (!account) throw new ApiError('P611');
      await post(q, {
        partnerId: request.partner.id, kind: 'crypto_deposit', refId: depositId,
        lines: [
          { account: { house: 'chain' }, currency: currency.code, amount: -amount },
          { account: { accountId: account.id }, currency: currency.code, amount },
        ],
      });
    });
    return reply.code(201).send({ cryptoDepositId: depositId, status: 'SUCCESSFUL' });
  });
};
