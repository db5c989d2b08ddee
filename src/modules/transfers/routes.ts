import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { CURRENCY_CODES } from '../../kernel/currencies.js';
import { Amount, answer, CurrencySlug, errorResponses, Nullable, StringEnum, Timestamp, Uuid } from '../../kernel/schemas.js';
import { TransferStatus, valuesOf } from '../../kernel/statuses.js';
import { createTransfer, getTransfer, parseTransfer } from './service.js';

const tags = ['Internal transfers'];
const ExternalId = Type.String({ minLength: 1, maxLength: 200, examples: ['user-42'] });
const Side = (who: string) => Nullable(Type.String({ description: `The ${who} user; null: the partner` }));

const TransferRequest = Type.Object({
  sourceExternalUserId: Type.Optional({ ...ExternalId, description: 'The user paying; omitted: the partner' }),
  destinationExternalUserId: Type.Optional({ ...ExternalId, description: 'The user paid; omitted: the partner', examples: ['user-43'] }),
  currency: CurrencySlug,
  amount: Amount,
}, { additionalProperties: false, title: 'TransferRequest', description: 'At least one side is a user; the two sides differ' });

const Transfer = Type.Object({
  transferId: Uuid,
  status: StringEnum(valuesOf(TransferStatus), { description: 'SUCCESSFUL (a transfer that cannot be made is refused and not stored)' }),
  amount: Type.String({ description: "Decimal string at the currency's scale", examples: ['25.00'] }),
  currency: StringEnum(CURRENCY_CODES, { examples: ['eur'] }),
  sourceExternalUserId: Side('paying'),
  destinationExternalUserId: Side('paid'),
  createdAt: Timestamp,
}, { title: 'Transfer', description: 'An internal transfer' });

/** The `transfer.status` webhook's body. */
export const TransferWebhook = Type.Object({
  id: Uuid,
  sourceExternalUserId: Side('paying'),
  destinationExternalUserId: Side('paid'),
  amount: Type.Number({ description: 'The amount (a JSON number, as P100 sends it)', examples: [25] }),
  currency: StringEnum(CURRENCY_CODES, { examples: ['eur'] }),
  status: StringEnum(valuesOf(TransferStatus)),
  createdAt: Timestamp,
}, { title: 'TransferWebhook', description: 'An internal transfer was made.' });

/** POST /v1/transfer and GET /v1/transfer/details/{transferId}. */
export const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;

  app.post('/v1/transfer', {
    schema: {
      operationId: 'createTransfer', tags,
      summary: 'Create a Transfer',
      description: 'Moves money at once and for free: partner -> user (destination only), user -> partner (source only) or user -> user (both). '
        + 'Sends the `transfer.status` webhook.',
      body: TransferRequest,
      response: {
        200: Type.Object({ transferId: Uuid }, { title: 'TransferCreated', description: 'The id of the transfer (made)' }),
        ...errorResponses('P424', 'P628', 'P412', 'P610', 'P455', 'P459', 'P611', 'P612', 'P433'),
      },
    },
  }, async (request) => {
    parseTransfer(request.body); // input errors before any database work
    const now = partnerNow(request.partner.clockOffsetMs);
    const transferId = await createTransfer(db, request.partner.id, request.body, now); // one statement, no transaction
    return { transferId };
  });

  app.get('/v1/transfer/details/:transferId', {
    schema: {
      operationId: 'getTransfer', tags, summary: 'Get Transfer Details',
      description: 'A transfer of this partner (to, from or between its users).',
      params: Type.Object({ transferId: Type.String({ maxLength: 100 }) }),
      response: { 200: answer(Transfer, 'The transfer'), ...errorResponses('P625') },
    },
  }, async (request) => getTransfer(db, request.partner.id, request.params.transferId));
};
