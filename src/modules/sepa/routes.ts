import { isUuid } from '../../kernel/ids.js';
import { parseAmount } from '../../kernel/money.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError, validationError } from '../../kernel/errors.js';
import { Amount, CurrencySlug, decodeCursor, encodeCursor, Nullable, PageQuery, parseCurrency, partnerErrors, Timestamp, Uuid } from '../../kernel/schemas.js';
import { usableBalance } from '../../money/refusals.js';
import { BANK_BIC, BANK_NAME, normalizeIban } from '../../rails/sepa/iban.js';
import { twinRoutes } from '../../platform/twin-routes.js';
import { fullName, requireUser, UserObject, type UserRow } from '../users/index.js';
import { listContacts } from './deposits.js';
import { createSepaTransfer, getSepaTransfer, type NewSepaTransfer } from './transfers.js';

const DepositInfo = Type.Object({
  title: Type.String({ description: 'Reference to type exactly in the transfer title (the EUR balance id)' }),
  iban: Type.String(),
  swift: Type.String(),
  bankName: Type.String(),
  accountHolder: Type.String(),
  address: Type.String(),
});

const ContactList = Type.Object({
  contacts: Type.Array(Type.Object({ id: Uuid, iban: Type.String(), name: Nullable(Type.String()), createdAt: Timestamp })),
  nextCursor: Nullable(Type.String()),
});

const transferFields = {
  amount: Amount,
  currency: CurrencySlug,
  destinationIban: Type.String({ minLength: 1, maxLength: 64 }),
  transferTitle: Type.String({ minLength: 1, maxLength: 140 }),
  receiverType: Type.Optional(Type.Union([Type.Literal('NATURAL'), Type.Literal('LEGAL')])),
  receiverFirstName: Type.Optional(Type.String({ minLength: 1, maxLength: 70 })),
  receiverLastName: Type.Optional(Type.String({ minLength: 1, maxLength: 70 })),
  companyName: Type.Optional(Type.String({ minLength: 1, maxLength: 140 })),
};

const TransferDetails = Type.Object({
  id: Uuid,
  type: Type.String({ examples: ['external'] }),
  amount: Type.String({ examples: ['250.00'] }),
  transferTitle: Type.String(),
  destinationIban: Type.String(),
  receiverType: Nullable(Type.String()),
  receiverFirstName: Nullable(Type.String()),
  receiverLastName: Nullable(Type.String()),
  companyName: Nullable(Type.String()),
  status: Type.String({ examples: ['PENDING', 'SUCCESSFUL', 'FAILED'] }),
  currency: Type.String({ examples: ['eur'] }),
  fee: Type.Number(),
  createdAt: Timestamp,
  error: Type.Optional(Type.Object({ description: Type.String(), status: Type.String() })),
  user: Type.Optional(UserObject),
});

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
    schema: { tags: ['SEPA'], response: { 200: DepositInfo, ...partnerErrors } },
    partner: { url: '/v1/partner/sepa-deposit/info', summary: 'Get SEPA Deposit Info' },
    user: { url: '/v1/sepa-deposit/info/:externalUserId', summary: 'Get SEPA Deposit Info (user)', schema: ExternalUser },
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
    schema: { tags: ['SEPA'], querystring: Type.Object(PageQuery), response: { 200: ContactList, ...partnerErrors } },
    partner: { url: '/v1/partner/sepa-deposit/contacts', summary: 'Get SEPA Deposit Contact List (sender IBANs approved by the name check)' },
    user: { url: '/v1/sepa-deposit/contacts/:externalUserId', summary: 'Get SEPA Deposit Contact List (user)', schema: ExternalUser },
    handler: async (request, level) => {
      if (level === 'partner') return contacts(request.partner.id, null, request.query.limit, request.query.cursor);
      const user = await requireUser(db, request.partner.id, request.params.externalUserId);
      return contacts(request.partner.id, user.id, request.query.limit, request.query.cursor);
    },
  });

  const TransferCreated = Type.Object({ transferId: Uuid });

  twinRoutes(app, {
    method: 'POST',
    schema: { tags: ['SEPA'], response: { 200: TransferCreated, ...partnerErrors } },
    partner: {
      url: '/v1/partner/sepa-transfer', summary: 'Create a SEPA Transfer from the partner balance',
      schema: {
        description: 'Amount + fee (0.1 %, min 1 EUR) are held now; the transfer settles asynchronously.',
        body: Type.Object(transferFields, { additionalProperties: false }),
      },
    },
    user: {
      url: '/v1/sepa-transfer', summary: "Create a SEPA Transfer from a user's balance",
      schema: { body: Type.Object({ sourceExternalUserId: Type.String({ minLength: 1 }), ...transferFields }, { additionalProperties: false }) },
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
    schema: { tags: ['SEPA'], params: Type.Object({ transferId: Type.String() }), response: { 200: TransferDetails, ...partnerErrors } },
    partner: { url: '/v1/partner/sepa-transfer/details/:transferId', summary: 'Get SEPA Transfer Details' },
    user: { url: '/v1/sepa-transfer/details/:transferId', summary: 'Get SEPA Transfer Details (user)' },
    handler: async (request, _level) => details(request.partner.id, request.params.transferId),
  });
};
