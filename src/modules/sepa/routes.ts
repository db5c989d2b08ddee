import { isUuid } from '../../kernel/ids.js';
import { parseAmount } from '../../kernel/money.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError, validationError } from '../../kernel/errors.js';
import {
  Amount, answer, CurrencySlug, FailureReason, decodeCursor, encodeCursor, errorResponses, Nullable, PageQuery, parseCurrency, StringEnum, Timestamp, Uuid,
} from '../../kernel/schemas.js';
import { SepaDepositStatus, SepaTransferStatus, valuesOf } from '../../kernel/statuses.js';
import { usableBalance } from '../../money/refusals.js';
import { BANK_BIC, BANK_NAME, normalizeIban } from '../../rails/sepa/iban.js';
import { twinRoutes } from '../../platform/twin-routes.js';
import { fullName, requireUser, UserObject, type UserRow } from '../users/index.js';
import { listContacts } from './deposits.js';
import { createSepaTransfer, getSepaTransfer, type NewSepaTransfer } from './transfers.js';

const DepositInfo = Type.Object({
  title: Type.String({ description: 'Reference to type exactly in the transfer title (the EUR balance id)' }),
  iban: Type.String({ examples: ['PL61109010140000071219812874'] }),
  swift: Type.String(),
  bankName: Type.String(),
  accountHolder: Type.String({ examples: ['Maria Wiśniewska'] }),
  address: Type.String({ description: 'The bank\'s address' }),
}, { title: 'SepaDepositInfo', description: 'What a payer needs to send EUR to this balance by SEPA' });

const ContactList = Type.Object({
  contacts: Type.Array(Type.Object({ id: Uuid, iban: Type.String(), name: Nullable(Type.String()), createdAt: Timestamp }, { title: 'SepaContact' })),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })),
}, { title: 'SepaContactList', description: 'Sender IBANs approved by the name check, oldest first' });

const ReceiverType = StringEnum(['NATURAL', 'LEGAL'], { description: 'Open loop (level 2): NATURAL with receiver names, LEGAL with companyName' });
const transferFields = {
  amount: Amount,
  currency: { ...CurrencySlug, description: 'eur (the only SEPA currency)', examples: ['eur'] },
  destinationIban: Type.String({ minLength: 1, maxLength: 64, examples: ['DE89370400440532013000'] }),
  transferTitle: Type.String({ minLength: 1, maxLength: 140, examples: ['Invoice 2026/11/42'] }),
  receiverType: Type.Optional(ReceiverType),
  receiverFirstName: Type.Optional(Type.String({ minLength: 1, maxLength: 70 })),
  receiverLastName: Type.Optional(Type.String({ minLength: 1, maxLength: 70 })),
  companyName: Type.Optional(Type.String({ minLength: 1, maxLength: 140 })),
};

const transferDetailFields = {
  id: Uuid,
  type: StringEnum(['external'] as string[]),
  amount: Type.String({ examples: ['250.00'] }),
  transferTitle: Type.String({ examples: ['Invoice 2026/11/42'] }),
  destinationIban: Type.String({ examples: ['DE89370400440532013000'] }),
  receiverType: Nullable(Type.String({ enum: ['NATURAL', 'LEGAL'] })),
  receiverFirstName: Nullable(Type.String()),
  receiverLastName: Nullable(Type.String()),
  companyName: Nullable(Type.String()),
  status: StringEnum(valuesOf(SepaTransferStatus), { description: 'PENDING (amount + fee held) until it settles or fails' }),
  currency: StringEnum(['eur'] as string[]),
  fee: Type.Number({ description: 'EUR: 0.1 %, at least 1.00', examples: [1] }),
  createdAt: Timestamp,
  error: Type.Optional(FailureReason),
  user: Type.Optional(UserObject),
};
const TransferDetails = Type.Object(transferDetailFields, { title: 'SepaTransfer', description: 'An outgoing SEPA transfer' });

/** `partner_sepa_transfer.status`: the details of a transfer from the partner's balance. */
export const PartnerSepaTransferWebhook = Type.Object(transferDetailFields, {
  title: 'PartnerSepaTransferWebhook', description: "A SEPA transfer from the partner's balance settled (SUCCESSFUL) or failed.",
});
/** `sepa_transfer.status`: the details of a user's transfer, with its externalUserId. */
export const SepaTransferWebhook = Type.Object({ ...transferDetailFields, externalUserId: Type.String() }, {
  title: 'SepaTransferWebhook', description: "A SEPA transfer from a user's balance settled (SUCCESSFUL) or failed.",
});
/** `sepa_deposit.status`: an incoming SEPA payment was credited, held for review or returned. */
export const SepaDepositWebhook = Type.Object({
  id: Uuid,
  externalUserId: Nullable(Type.String({ description: 'null: paid to the partner\'s IBAN' })),
  amount: Type.String({ examples: ['500.00'] }),
  currency: StringEnum(['eur'] as string[]),
  status: StringEnum(valuesOf(SepaDepositStatus), { description: 'APPROVED (credited), PENDING (name-check review) or REJECTED (returned)' }),
  reason: Nullable(Type.String({ examples: ['SENDER_NAME_MISMATCH'] })),
  iban: Type.String({ description: 'The IBAN paid' }),
  senderName: Nullable(Type.String()),
  senderIban: Nullable(Type.String()),
  reference: Nullable(Type.String()),
  createdAt: Timestamp,
}, { title: 'SepaDepositWebhook', description: 'An incoming SEPA payment was credited, held for review or returned.' });

/**
 * Level 1 (closed loop): no receiver fields. Level 2 (open loop): receiverType with the
 * person's names (NATURAL) or the company name (LEGAL).
 */
function parseTransfer(body: Record<string, any>): NewSepaTransfer {
  parseCurrency(body.currency, 'currency', ['eur']);
  const amount = parseAmount(body.amount, 2);
  const destinationIban = normalizeIban(body.destinationIban);
  if (!destinationIban) throw new ApiError('P630', 'destinationIban is not a valid IBAN');
  const errors: string[] = [];
  const { receiverType, receiverFirstName, receiverLastName, companyName } = body;
  if (!receiverType && (receiverFirstName || receiverLastName || companyName)) {
    errors.push('receiverType is required with receiver fields');
  }
  if (receiverType === 'NATURAL') {
    if (!receiverFirstName || !receiverLastName) errors.push('receiverFirstName and receiverLastName are required for NATURAL receivers');
    if (companyName) errors.push('companyName is only allowed for LEGAL receivers');
  }
  if (receiverType === 'LEGAL') {
    if (!companyName) errors.push('companyName is required for LEGAL receivers');
    if (receiverFirstName || receiverLastName) errors.push('receiverFirstName and receiverLastName are only allowed for NATURAL receivers');
  }
  if (!body.transferTitle.trim()) errors.push('transferTitle should not be empty');
  if (errors.length) throw validationError(...errors);
  return { amount, destinationIban, transferTitle: body.transferTitle.trim(), receiverType, receiverFirstName, receiverLastName, companyName };
}

function parsePage(cursor?: string): string | undefined {
  const parts = decodeCursor(cursor);
  if (!parts) return undefined;
  if (typeof parts[0] !== 'string' || !isUuid(parts[0])) throw validationError('cursor is not valid');
  return parts[0];
}

export const sepaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;

  async function depositInfo(partnerId: string, partnerName: string, user?: UserRow) {
    const account = await usableBalance(db, { partnerId, userId: user?.id }, 'eur');
    if (!account.iban) throw new ApiError('P612'); // a non-KYC user's EUR: no SEPA without an IBAN
    return {
      title: account.id,
      iban: account.iban,
      swift: BANK_BIC,
      bankName: BANK_NAME,
      accountHolder: user ? fullName(user) : partnerName,
      address: app.ctx.config.rails.bankAddress,
    };
  }

  const ExternalUser = { params: Type.Object({ externalUserId: Type.String({ minLength: 1 }) }) };

  twinRoutes(app, {
    schema: {
      tags: ['SEPA'],
      description: 'The IBAN, bank and reference a payer uses to fund the EUR balance. P612 when the balance has no IBAN yet (KYC pending, non-KYC users).',
      response: { 200: answer(DepositInfo, 'The deposit instructions'), ...errorResponses('P611', 'P612', 'P610') },
    },
    partner: { url: '/v1/partner/sepa-deposit/info', operationId: 'getPartnerSepaDepositInfo', summary: 'Get SEPA Deposit Info' },
    user: {
      url: '/v1/sepa-deposit/info/:externalUserId', operationId: 'getSepaDepositInfo', summary: 'Get SEPA Deposit Info (user)',
      schema: { ...ExternalUser, response: { 200: answer(DepositInfo, 'The deposit instructions'), ...errorResponses('P412', 'P610', 'P611', 'P612') } },
    },
    handler: async (request, level) => {
      if (level === 'partner') return depositInfo(request.partner.id, request.partner.name);
      const user = await requireUser(db, request.partner.id, request.params.externalUserId);
      return depositInfo(request.partner.id, request.partner.name, user);
    },
  });

  async function contacts(partnerId: string, userId: string | null, limit = 20, cursor?: string) {
    const rows = await listContacts(db, partnerId, userId, limit + 1, parsePage(cursor));
    const page = rows.slice(0, limit);
    return {
      contacts: page.map((r) => ({ id: r.id, iban: r.iban, name: r.name, createdAt: r.created_at.toISOString() })),
      nextCursor: rows.length > limit ? encodeCursor([page[page.length - 1].id]) : null,
    };
  }

  twinRoutes(app, {
    schema: {
      tags: ['SEPA'], querystring: Type.Object(PageQuery),
      description: 'Sender IBANs approved by the name check (their next payments are credited at once), oldest first.',
      response: { 200: answer(ContactList, 'A page of contacts'), ...errorResponses() },
    },
    partner: { url: '/v1/partner/sepa-deposit/contacts', operationId: 'listPartnerSepaContacts', summary: 'Get SEPA Deposit Contact List' },
    user: {
      url: '/v1/sepa-deposit/contacts/:externalUserId', operationId: 'listSepaContacts', summary: 'Get SEPA Deposit Contact List (user)',
      schema: { ...ExternalUser, response: { 200: answer(ContactList, 'A page of the user\'s contacts'), ...errorResponses('P412', 'P610') } },
    },
    handler: async (request, level) => {
      if (level === 'partner') return contacts(request.partner.id, null, request.query.limit, request.query.cursor);
      const user = await requireUser(db, request.partner.id, request.params.externalUserId);
      return contacts(request.partner.id, user.id, request.query.limit, request.query.cursor);
    },
  });

  const TransferCreated = Type.Object({ transferId: Uuid }, { title: 'SepaTransferCreated', description: 'The id of the new (PENDING) transfer' });
  const SEND = ['P630', 'P611', 'P612', 'P610', 'P433'] as const;

  twinRoutes(app, {
    method: 'POST',
    schema: {
      tags: ['SEPA'],
      description: 'Amount + fee (0.1 %, min 1 EUR) are held now; the transfer settles asynchronously (the `…sepa_transfer.status` webhook). '
        + 'Without receiverType the receiver is the owner (closed loop); with it, another person (NATURAL) or company (LEGAL).',
    },
    partner: {
      url: '/v1/partner/sepa-transfer', operationId: 'createPartnerSepaTransfer', summary: 'Create a SEPA Transfer from the partner balance',
      schema: {
        body: Type.Object(transferFields, { additionalProperties: false, title: 'PartnerSepaTransferRequest' }),
        response: { 200: TransferCreated, ...errorResponses(...SEND) },
      },
    },
    user: {
      url: '/v1/sepa-transfer', operationId: 'createSepaTransfer', summary: "Create a SEPA Transfer from a user's balance",
      schema: {
        body: Type.Object({ sourceExternalUserId: Type.String({ minLength: 1, examples: ['user-42'] }), ...transferFields }, {
          additionalProperties: false, title: 'SepaTransferRequest',
        }),
        response: { 200: TransferCreated, ...errorResponses(...SEND, 'P412', 'P455', 'P459') },
      },
    },
    handler: async (request, level) => {
      const input = parseTransfer(request.body);
      const now = partnerNow(request.partner.clockOffsetMs);
      const row = await db.tx(async (q) => {
        if (level === 'partner') return createSepaTransfer(q, { partnerId: request.partner.id, input, now, rails: app.ctx.config.rails });
        const user = await requireUser(q, request.partner.id, request.body.sourceExternalUserId, { moveMoney: true, lock: true });
        return createSepaTransfer(q, { partnerId: request.partner.id, user, input, now, rails: app.ctx.config.rails });
      });
      return { transferId: row.id };
    },
  });

  const details = async (partnerId: string, transferId: string) => {
    if (!isUuid(transferId)) throw new ApiError('P428');
    return getSepaTransfer(db, partnerId, transferId.toLowerCase());
  };
  twinRoutes(app, {
    schema: {
      tags: ['SEPA'], params: Type.Object({ transferId: Type.String() }),
      description: 'A SEPA transfer of this partner or of one of its users, with its status (and the user when it is a user\'s).',
      response: { 200: answer(TransferDetails, 'The SEPA transfer'), ...errorResponses('P428') },
    },
    partner: { url: '/v1/partner/sepa-transfer/details/:transferId', operationId: 'getPartnerSepaTransfer', summary: 'Get SEPA Transfer Details' },
    user: { url: '/v1/sepa-transfer/details/:transferId', operationId: 'getSepaTransfer', summary: 'Get SEPA Transfer Details (user)' },
    handler: async (request, _level) => details(request.partner.id, request.params.transferId),
  });
};
