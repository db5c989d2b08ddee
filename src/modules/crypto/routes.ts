import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { CURRENCIES, findCurrency, findNetwork, type Currency, type NetworkConfig } from '../../kernel/currencies.js';
import { ApiError } from '../../kernel/errors.js';
import { toMinor, toNumber, parseAmount } from '../../kernel/money.js';
import { Amount, CurrencySlug, Nullable, partnerErrors, Timestamp, Uuid } from '../../kernel/schemas.js';
import { networkFeeQuote } from '../../money/fees.js';
import { isValidAddress } from '../../rails/chains/addresses.js';
import { requireUser } from '../users/service.js';
import { isUuid } from '../../kernel/ids.js';
import { UserObject } from '../sepa/users.js';
import { updateTravelRule } from './deposits.js';
import { createWithdrawal, getWithdrawal, type NewWithdrawal } from './withdrawals.js';

/** A crypto currency from a request (any case); P410 when unknown or not crypto. */
export function cryptoCurrency(value: string): Currency {
  const currency = findCurrency(value);
  if (!currency || currency.kind !== 'CRYPTO') throw new ApiError('P410', `Currency not found: ${value}`);
  return currency;
}

/** The network of a crypto currency (`network` in any case, default when omitted); P632 when not offered. */
export function cryptoNetwork(currency: Currency, network?: string): NetworkConfig {
  const found = findNetwork(currency, network);
  if (!found) throw new ApiError('P632', `Network ${network} is not supported for ${currency.code}`);
  return found;
}

const withdrawalFields = {
  currency: CurrencySlug,
  amount: Amount,
  walletAddress: Type.String({ minLength: 1, maxLength: 128 }),
  network: Type.Optional(Type.String({ maxLength: 32 })),
  memo: Type.Optional(Type.String({ maxLength: 140 })),
  name: Type.String({ minLength: 1, maxLength: 140, description: 'Recipient name (travel rule)' }),
  walletType: Type.Union([Type.Literal('CUSTODIAL'), Type.Literal('NON_CUSTODIAL'), Type.Literal('OTHER')]),
  receiverType: Type.Union([Type.Literal('NATURAL'), Type.Literal('LEGAL')]),
};

const WithdrawalDetails = Type.Object({
  id: Uuid,
  amount: Type.Number({ description: 'What the recipient gets' }),
  fee: Type.Number({ description: 'serviceFee + networkFee, charged on top of amount' }),
  serviceFee: Type.Number(),
  networkFee: Type.Number(),
  destination: Type.String(),
  memo: Nullable(Type.String()),
  status: Type.String({ examples: ['PROCESSING', 'SUCCESSFUL', 'FAILED'] }),
  transactionHash: Type.String(),
  currency: Type.Object({ name: Type.String(), network: Type.String() }),
  confirmations: Type.Integer(),
  requiredConfirmations: Type.Integer(),
  createdAt: Timestamp,
  error: Type.Optional(Type.Object({ description: Type.String(), status: Type.String() })),
  user: Type.Optional(UserObject),
});

function parseWithdrawal(body: Record<string, any>): NewWithdrawal {
  const currency = cryptoCurrency(body.currency);
  const network = cryptoNetwork(currency, body.network);
  const amount = parseAmount(body.amount, currency.scale);
  if (!isValidAddress(network.code, body.walletAddress.trim())) {
    throw new ApiError('P631', `walletAddress is not a valid ${network.code} address`);
  }
  if (amount < toMinor(network.minWithdrawal, currency.scale)) {
    throw new ApiError('P615', `Minimum withdrawal is ${network.minWithdrawal} ${currency.code}`);
  }
  return {
    currency: currency.code, network: network.code, amount, walletAddress: body.walletAddress.trim(), memo: body.memo,
    travelRule: { name: body.name, walletType: body.walletType, receiverType: body.receiverType },
  };
}

const TravelRuleBody = Type.Object({
  walletType: Type.Union([Type.Literal('CUSTODIAL'), Type.Literal('SELF_CUSTODY')]),
  externalUserId: Type.Optional(Type.String({ minLength: 1 })),
  details: Type.Object({
    iAmOwnerOfWallet: Type.Optional(Type.Boolean()),
    firstName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    lastName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    companyName: Type.Optional(Type.String({ minLength: 1, maxLength: 140 })),
    vatId: Type.Optional(Type.String({ maxLength: 40 })),
    street: Type.Optional(Type.String({ maxLength: 140 })),
    city: Type.Optional(Type.String({ maxLength: 100 })),
    postCode: Type.Optional(Type.String({ maxLength: 20 })),
    country: Type.Optional(Type.String({ maxLength: 2 })),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

const TravelRuleResult = Type.Object({ cryptoDepositId: Uuid, status: Type.String({ examples: ['SUCCESSFUL'] }) });

export const cryptoRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;

  const feeSchema = {
    querystring: Type.Object({ currency: Type.String({ minLength: 1 }), network: Type.Optional(Type.String()) }),
    response: { 200: Type.Object({ networkFee: Type.Number({ examples: [0.000469] }) }), ...partnerErrors },
  };
  const networkFee = (query: { currency: string; network?: string }) => {
    const currency = cryptoCurrency(query.currency);
    const network = cryptoNetwork(currency, query.network);
    return { networkFee: toNumber(networkFeeQuote(currency, network), currency.scale) };
  };
  app.get('/v1/partner/crypto-withdrawal/get-network-fee', {
    schema: { tags: ['Crypto'], summary: 'Get Network Fee', ...feeSchema },
  }, async (request) => networkFee(request.query));
  app.get('/v1/crypto-withdrawal/get-network-fee', {
    schema: { tags: ['Crypto'], summary: 'Get Network Fee (user)', ...feeSchema },
  }, async (request) => networkFee(request.query));

  const Created = Type.Object({ withdrawalId: Uuid });
  const description = 'The recipient gets `amount`; feeWithdrawal + network fee are charged on top. '
    + 'amount + fees are held now; the withdrawal confirms with the simulated chain.';

  app.post('/v1/partner/crypto-withdrawal', {
    schema: {
      tags: ['Crypto'], summary: 'Create Crypto Withdrawal', description,
      body: Type.Object(withdrawalFields, { additionalProperties: false }),
      response: { 200: Created, ...partnerErrors },
    },
  }, async (request) => {
    const input = parseWithdrawal(request.body);
    const now = partnerNow(request.partner.clockOffsetMs);
    const row = await db.tx((q) => createWithdrawal(q, { partnerId: request.partner.id, input, now }));
    return { withdrawalId: row.id };
  });

  app.post('/v1/crypto-withdrawal', {
    schema: {
      tags: ['Crypto'], summary: 'Create Crypto Withdrawal (user)', description,
      body: Type.Object({ sourceExternalUserId: Type.String({ minLength: 1 }), ...withdrawalFields }, { additionalProperties: false }),
      response: { 200: Created, ...partnerErrors },
    },
  }, async (request) => {
    const input = parseWithdrawal(request.body);
    const now = partnerNow(request.partner.clockOffsetMs);
    const row = await db.tx(async (q) => {
      const user = await requireUser(q, request.partner.id, request.body.sourceExternalUserId, { moveMoney: true, lock: true });
      return createWithdrawal(q, { partnerId: request.partner.id, user, input, now });
    });
    return { withdrawalId: row.id };
  });

  const detailsSchema = {
    params: Type.Object({ withdrawalId: Type.String() }),
    response: { 200: WithdrawalDetails, ...partnerErrors },
  };
  const details = async (partnerId: string, id: string) => {
    if (!isUuid(id)) throw new ApiError('P633');
    return getWithdrawal(db, partnerId, id.toLowerCase());
  };
  app.get('/v1/partner/crypto-withdrawal/details/:withdrawalId', {
    schema: { tags: ['Crypto'], summary: 'Get Crypto Withdrawal Details', ...detailsSchema },
  }, async (request) => details(request.partner.id, request.params.withdrawalId));
  app.get('/v1/crypto-withdrawal/details/:withdrawalId', {
    schema: { tags: ['Crypto'], summary: 'Get Crypto Withdrawal Details (user)', ...detailsSchema },
  }, async (request) => details(request.partner.id, request.params.withdrawalId));

  const travelRuleSchema = {
    params: Type.Object({ cryptoDepositId: Type.String() }),
    body: TravelRuleBody,
    response: { 200: TravelRuleResult, ...partnerErrors },
  };
  async function travelRule(partnerId: string, clockOffsetMs: bigint, depositId: string, body: any, userLevel: boolean) {
    const d = body.details;
    if (!d.iAmOwnerOfWallet && !(d.firstName && d.lastName) && !d.companyName) {
      throw new ApiError('P403', 'details must name the sender: iAmOwnerOfWallet, firstName and lastName, or companyName');
    }
    if (!isUuid(depositId)) throw new ApiError('P634');
    const now = partnerNow(clockOffsetMs);
    const row = await db.tx(async (q) => {
      let owner: string | null | 'any-user' = null;
      if (userLevel) owner = body.externalUserId ? (await requireUser(q, partnerId, body.externalUserId)).id : 'any-user';
      return updateTravelRule(q, partnerId, owner, depositId.toLowerCase(), { walletType: body.walletType, ...d }, now);
    });
    return { cryptoDepositId: row.id, status: row.status };
  }
  app.patch('/v1/partner/crypto-deposit/update-travel-rule/:cryptoDepositId', {
    schema: { tags: ['Crypto'], summary: 'Update Travel Rule (deposit to the partner wallet)', ...travelRuleSchema },
  }, async (request) => travelRule(request.partner.id, request.partner.clockOffsetMs, request.params.cryptoDepositId, request.body, false));
  app.patch('/v1/crypto-deposit/update-travel-rule/:cryptoDepositId', {
    schema: { tags: ['Crypto'], summary: "Update Travel Rule (deposit to a user's wallet)", ...travelRuleSchema },
  }, async (request) => travelRule(request.partner.id, request.partner.clockOffsetMs, request.params.cryptoDepositId, request.body, true));
};

