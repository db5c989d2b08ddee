import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { toMinor, toNumber, parseAmount } from '../../kernel/money.js';
import { Amount, CurrencySlug, Nullable, partnerErrors, Timestamp, Uuid } from '../../kernel/schemas.js';
import { networkFeeQuote } from '../../money/fees.js';
import { isValidAddress } from '../../rails/chains/addresses.js';
import { isUuid } from '../../kernel/ids.js';
import { twinRoutes } from '../../platform/twin-routes.js';
import { requireUser, UserObject } from '../users/index.js';
import { cryptoCurrency, cryptoNetwork } from './currency.js';
import { updateTravelRule } from './deposits.js';
import { createWithdrawal, getWithdrawal, type NewWithdrawal } from './withdrawals.js';

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

  const networkFee = (query: { currency: string; network?: string }) => {
    const currency = cryptoCurrency(query.currency);
    const network = cryptoNetwork(currency, query.network);
    return { networkFee: toNumber(networkFeeQuote(currency, network), currency.scale) };
  };
  twinRoutes(app, {
    schema: {
      tags: ['Crypto'],
      querystring: Type.Object({ currency: Type.String({ minLength: 1 }), network: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ networkFee: Type.Number({ examples: [0.000469] }) }), ...partnerErrors },
    },
    partner: { url: '/v1/partner/crypto-withdrawal/get-network-fee', summary: 'Get Network Fee' },
    user: { url: '/v1/crypto-withdrawal/get-network-fee', summary: 'Get Network Fee (user)' },
    handler: async (request, _level) => networkFee(request.query),
  });

  twinRoutes(app, {
    method: 'POST',
    schema: {
      tags: ['Crypto'],
      description: 'The recipient gets `amount`; feeWithdrawal + network fee are charged on top. '
        + 'amount + fees are held now; the withdrawal confirms with the simulated chain.',
      response: { 200: Type.Object({ withdrawalId: Uuid }), ...partnerErrors },
    },
    partner: {
      url: '/v1/partner/crypto-withdrawal', summary: 'Create Crypto Withdrawal',
      schema: { body: Type.Object(withdrawalFields, { additionalProperties: false }) },
    },
    user: {
      url: '/v1/crypto-withdrawal', summary: 'Create Crypto Withdrawal (user)',
      schema: { body: Type.Object({ sourceExternalUserId: Type.String({ minLength: 1 }), ...withdrawalFields }, { additionalProperties: false }) },
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
    schema: { tags: ['Crypto'], params: Type.Object({ withdrawalId: Type.String() }), response: { 200: WithdrawalDetails, ...partnerErrors } },
    partner: { url: '/v1/partner/crypto-withdrawal/details/:withdrawalId', summary: 'Get Crypto Withdrawal Details' },
    user: { url: '/v1/crypto-withdrawal/details/:withdrawalId', summary: 'Get Crypto Withdrawal Details (user)' },
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
      response: { 200: TravelRuleResult, ...partnerErrors },
    },
    partner: { url: '/v1/partner/crypto-deposit/update-travel-rule/:cryptoDepositId', summary: 'Update Travel Rule (deposit to the partner wallet)' },
    user: { url: '/v1/crypto-deposit/update-travel-rule/:cryptoDepositId', summary: "Update Travel Rule (deposit to a user's wallet)" },
    handler: async (request, level) =>
      travelRule(request.partner.id, request.partner.clockOffsetMs, request.params.cryptoDepositId, request.body, level === 'user'),
  });
};

