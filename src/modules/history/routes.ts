import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { validationError } from '../../kernel/errors.js';
import { CURRENCY_CODES } from '../../kernel/currencies.js';
import { answer, CurrencySlug, errorResponses, Nullable, PageQuery, parseCurrency, StringEnum, Timestamp, Uuid } from '../../kernel/schemas.js';
import { twinRoutes } from '../../platform/twin-routes.js';
import { requireUser, UserParams } from '../users/index.js';
import { transactionHistory, type HistoryFilter } from './store.js';

const Transaction = Type.Object({
  id: Uuid,
  postingId: Uuid,
  type: Type.String({ description: 'What moved the money: sepa_deposit, sepa_transfer, crypto_deposit, crypto_withdrawal, exchange, transfer, order, fee, user_deletion, ...' }),
  currency: StringEnum(CURRENCY_CODES, { examples: ['eur'] }),
  amount: Type.String({ description: 'Signed decimal string at the currency scale (negative for a debit)', examples: ['-12.50'] }),
  direction: StringEnum(['CREDIT', 'DEBIT'] as string[]),
  referenceId: Nullable(Uuid),
  description: Nullable(Type.String()),
  status: StringEnum(['COMPLETED'] as string[], { description: 'Always COMPLETED: funds held by operations in progress are not listed' }),
  createdAt: Timestamp,
  balanceId: Uuid,
}, { title: 'Transaction', description: 'One balance movement (a posting line of the ledger)' });
const History = Type.Object({
  transactions: Type.Array(Transaction),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })),
}, { title: 'TransactionHistory', description: 'A page of transactions, newest first' });
const HistoryQuery = Type.Object({
  currency: Type.Optional(CurrencySlug),
  type: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,40}$', description: 'Posting kind, e.g. exchange' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
  ...PageQuery,
});

type Query = { currency?: string; type?: string; from?: string; to?: string; limit?: number; cursor?: string };

function parseFilter(query: Query): HistoryFilter {
  const from = query.from ? new Date(query.from) : undefined;
  const to = query.to ? new Date(query.to) : undefined;
  if (from && to && from.getTime() > to.getTime()) throw validationError('from must not be after to');
  return {
    currency: query.currency ? parseCurrency(query.currency).code : undefined,
    type: query.type, from, to, limit: query.limit ?? 20, cursor: query.cursor,
  };
}

const tags = ['Transaction history'];

/** Partner and user transaction history, read from the ledger's posting lines. */
export const historyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;

  twinRoutes(app, {
    schema: {
      tags, querystring: HistoryQuery,
      description: 'Completed balance movements, newest first, filtered by currency, type and time; page with `limit` and `nextCursor`.',
      response: { 200: answer(History, 'A page of transactions'), ...errorResponses() },
    },
    partner: { url: '/v1/partner/transaction-history', operationId: 'getPartnerTransactionHistory', summary: "Get Transaction History (the partner's own balances)" },
    user: {
      url: '/v1/user/transaction-history/:externalUserId', operationId: 'getUserTransactionHistory', summary: 'Get User Transaction History',
      schema: { params: UserParams, response: { 200: answer(History, 'A page of the user\'s transactions'), ...errorResponses('P412', 'P610') } },
    },
    handler: async (request, level) => {
      const filter = parseFilter(request.query);
      if (level === 'partner') return transactionHistory(db, { partnerId: request.partner.id }, filter);
      const user = await requireUser(db, request.partner.id, request.params.externalUserId);
      return transactionHistory(db, { partnerId: request.partner.id, userId: user.id }, filter);
    },
  });
};
