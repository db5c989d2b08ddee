import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { toMinor, toNumber, parseAmount } from '../../kernel/money.js';
import { CRYPTO_CODES, NETWORK_CODES } from '../../kernel/currencies.js';
import { Amount, answer, CurrencySlug, FailureReason, errorResponses, NetworkSlug, Nullable, StringEnum, Timestamp, Uuid } from '../../kernel/schemas.js';
import { CryptoDepositStatus, CryptoWithdrawalStatus, valuesOf } from '../../kernel/statuses.js';
import { networkFeeQuote } from '../../money/fees.js';
import { isValidAddress } from '../../rails/chains/addresses.js';
import { isUuid } from '../../kernel/ids.js';
import { twinRoutes } from '../../platform/twin-routes.js';
import { requireUser, UserObject } from '../users/index.js';
import { cryptoCurrency, cryptoNetwork } from './currency.js';
import { updateTravelRule } from './deposits.js';
import { createWithdrawal, getWithdrawal, type NewWithdrawal } from './withdrawals.js';

const withdrawalFields = {
  currency: { ...CurrencySlug, description: 'A crypto currency slug', examples: ['usdc'] },
  amount: { ...Amount, description: 'What the recipient gets (fees are charged on top)', examples: ['25'] },
  walletAddress: Type.String({ minLength: 1, maxLength: 128, examples: ['0x52908400098527886E0F7030069857D2E4169EE7'] }),
  network: Type.Optional({ ...NetworkSlug, maxLength: 32 }),
  memo: Type.Optional(Type.String({ maxLength: 140 })),
  name: Type.String({ minLength: 1, maxLength: 140, description: 'Recipient name (travel rule)', examples: ['Maria Wiśniewska'] }),
  walletType: StringEnum(['CUSTODIAL', 'NON_CUSTODIAL', 'OTHER']),
  receiverType: StringEnum(['NATURAL', 'LEGAL']),
};

const withdrawalDetailFields = {
  id: Uuid,
  amount: Type.Number({ description: 'What the recipient gets', examples: [25] }),
  fee: Type.Number({ description: 'serviceFee + networkFee, charged on top of amount', examples: [0.51] }),
  serviceFee: Type.Number({ examples: [0.5] }),
  networkFee: Type.Number({ examples: [0.01] }),
  destination: Type.String({ description: 'The recipient address' }),
  memo: Nullable(Type.String()),
  status: StringEnum(valuesOf(CryptoWithdrawalStatus), { description: 'PROCESSING (amount + fees held) until it confirms or fails' }),
  transactionHash: Type.String(),
  currency: Type.Object({ name: StringEnum(CRYPTO_CODES), network: StringEnum(NETWORK_CODES) }),
  confirmations: Type.Integer(),
  requiredConfirmations: Type.Integer(),
  createdAt: Timestamp,
  error: Type.Optional(FailureReason),
  user: Type.Optional(UserObject),
};
const WithdrawalDetails = Type.Object(withdrawalDetailFields, { title: 'CryptoWithdrawal', description: 'A crypto withdrawal' });

/** `crypto_withdrawal.status`: the withdrawal's details. */
export const CryptoWithdrawalWebhook = Type.Object(withdrawalDetailFields, {
  title: 'CryptoWithdrawalWebhook', description: 'A crypto withdrawal confirmed on its chain (SUCCESSFUL) or failed.',
});

/** `crypto_deposit.status`: a deposit to an address of the partner, a user or an order. */
export const CryptoDepositWebhook = Type.Object({
  externalUserId: Nullable(Type.String({ description: 'null: a deposit to the partner (or an order)' })),
  cryptoDepositId: Uuid,
  amount: Type.Number({ examples: [0.5] }),
  currency: StringEnum(CRYPTO_CODES, { examples: ['btc'] }),
  network: StringEnum(NETWORK_CODES, { examples: ['btc'] }),
  status: StringEnum(valuesOf(CryptoDepositStatus)),
  transactionHash: Type.String(),
  confirmations: Type.Integer(),
  orderId: Type.Optional(Uuid),
  createdAt: Timestamp,
}, { title: 'CryptoDepositWebhook', description: 'An incoming crypto deposit was seen, confirmed, credited, or waits for travel rule data.' });

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
  walletType: StringEnum(['CUSTODIAL', 'SELF_CUSTODY']),
  externalUserId: Type.Optional(Type.String({ minLength: 1, description: 'User level: the user the deposit belongs to' })),
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
  }, { additionalProperties: false, description: 'The sender: iAmOwnerOfWallet, or firstName and lastName, or companyName' }),
}, { additionalProperties: false, title: 'TravelRuleRequest' });

const TravelRuleResult = Type.Object({ cryptoDepositId: Uuid, status: StringEnum(valuesOf(CryptoDepositStatus), { examples: ['SUCCESSFUL'] }) }, {
  title: 'TravelRuleResult', description: 'The deposit after its travel rule data was given',
});
const USER_MOVES = ['P412', 'P610', 'P455', 'P459'] as const;
const WITHDRAW = ['P410', 'P632', 'P631', 'P615', 'P433', 'P611', 'P612', 'P610'] as const;

const WithdrawalCreated = Type.Object({ withdrawalId: Uuid }, { title: 'CryptoWithdrawalCreated', description: 'The id of the new (PROCESSING) withdrawal' });

export const cryptoRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;

  const networkFee = (query: { currency: string; network?: string }) => {
    const currency = cryptoCurrency(query.currency);
    const network = cryptoNetwork(currency, query.network);
    return { networkFee: toNumber(networkFeeQuote(currency, network), currency.scale) };
  };
  twinRoutes(app, {
    schema: {
      tags: ['Crypto'],
      description: 'The network fee a withdrawal of this currency (and network) costs now, on top of its service fee (networkConfig.feeWithdrawal).',
      querystring: Type.Object({ currency: { ...CurrencySlug, minLength: 1, examples: ['eth'] }, network: Type.Optional(NetworkSlug) }),
      response: {
        200: Type.Object({ networkFee: Type.Number({ examples: [0.000469] }) }, { title: 'NetworkFee', description: 'The network fee, in the currency' }),
        ...errorResponses('P410', 'P632'),
      },
    },
    partner: { url: '/v1/partner/crypto-withdrawal/get-network-fee', operationId: 'getPartnerNetworkFee', summary: 'Get Network Fee' },
    user: { url: '/v1/crypto-withdrawal/get-network-fee', operationId: 'getNetworkFee', summary: 'Get Network Fee (user)' },
    handler: async (request, _level) => networkFee(request.query),
  });

  twinRoutes(app, {
    method: 'POST',
    schema: {
      tags: ['Crypto'],
      description: 'The recipient gets `amount`; feeWithdrawal + network fee are charged on top. '
        + 'amount + fees are held now; the withdrawal confirms with the simulated chain (the `crypto_withdrawal.status` webhook).',
    },
    partner: {
      url: '/v1/partner/crypto-withdrawal', operationId: 'createPartnerCryptoWithdrawal', summary: 'Create Crypto Withdrawal',
      schema: {
        body: Type.Object(withdrawalFields, { additionalProperties: false, title: 'PartnerCryptoWithdrawalRequest' }),
        response: { 200: WithdrawalCreated, ...errorResponses(...WITHDRAW) },
      },
    },
    user: {
      url: '/v1/crypto-withdrawal', operationId: 'createCryptoWithdrawal', summary: 'Create Crypto Withdrawal (user)',
      schema: {
        body: Type.Object({ sourceExternalUserId: Type.String({ minLength: 1, examples: ['user-42'] }), ...withdrawalFields }, {
          additionalProperties: false, title: 'CryptoWithdrawalRequest',
        }),
        response: { 200: WithdrawalCreated, ...errorResponses(...WITHDRAW, ...USER_MOVES) },
      },
    },
    handler: async (request, level) => {
      const input = parseWithdrawal(request.body);
      const now = partnerNow(request.partner.clockOffsetMs);
      const row = await db.tx(async (q) => {
        if (level === 'partner') return createWithdrawal(q, { partnerId: request.partner.id, input, now });
        const user = await requireUser(q, request.partner.id, request.body.sourceExternalUserId, { moveMoney: true, lock: true });
        return createWithdrawal(q, { partnerId: request.partner.id, user, input, now });
      });
      return { withdrawalId: row.id };
    },
  });

  const details = async (partnerId: string, id: string) => {
    if (!isUuid(id)) throw new ApiError('P633');
    return getWithdrawal(db, partnerId, id.toLowerCase());
  };
  twinRoutes(app, {
    schema: {
      tags: ['Crypto'], params: Type.Object({ withdrawalId: Type.String() }),
      description: 'A crypto withdrawal of this partner or of one of its users, with its fees, confirmations and status.',
      response: { 200: answer(WithdrawalDetails, 'The withdrawal'), ...errorResponses('P633') },
    },
    partner: { url: '/v1/partner/crypto-withdrawal/details/:withdrawalId', operationId: 'getPartnerCryptoWithdrawal', summary: 'Get Crypto Withdrawal Details' },
    user: { url: '/v1/crypto-withdrawal/details/:withdrawalId', operationId: 'getCryptoWithdrawal', summary: 'Get Crypto Withdrawal Details (user)' },
    handler: async (request, _level) => details(request.partner.id, request.params.withdrawalId),
  });

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
  twinRoutes(app, {
    method: 'PATCH',
    schema: {
      tags: ['Crypto'], params: Type.Object({ cryptoDepositId: Type.String() }), body: TravelRuleBody,
      description: 'Gives the sender of a deposit that waits for travel rule data (WAITING_FOR_TR_DATA); the deposit is then credited.',
      response: { 200: answer(TravelRuleResult, 'The deposit and its new status'), ...errorResponses('P634', 'P635') },
    },
    partner: {
      url: '/v1/partner/crypto-deposit/update-travel-rule/:cryptoDepositId', operationId: 'updatePartnerTravelRule',
      summary: 'Update Travel Rule (deposit to the partner wallet)',
    },
    user: {
      url: '/v1/crypto-deposit/update-travel-rule/:cryptoDepositId', operationId: 'updateTravelRule', summary: "Update Travel Rule (deposit to a user's wallet)",
      schema: { response: { 200: answer(TravelRuleResult, 'The deposit and its new status'), ...errorResponses('P634', 'P635', 'P412', 'P610') } },
    },
    handler: async (request, level) =>
      travelRule(request.partner.id, request.partner.clockOffsetMs, request.params.cryptoDepositId, request.body, level === 'user'),
  });
};

