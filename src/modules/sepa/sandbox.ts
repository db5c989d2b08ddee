import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { formatAmount, parseAmount } from '../../kernel/money.js';
import { Amount, errorResponses, StringEnum, Uuid } from '../../kernel/schemas.js';
import { SepaDepositStatus, valuesOf } from '../../kernel/statuses.js';
import { normalizeIban } from '../../rails/sepa/iban.js';
import { receiveSepaDeposit } from './deposits.js';

/**
 * POST /v1/sandbox/sepa-deposit: a SEPA payment arrives at an IBAN of this partner or of one of
 * its users. An omitted senderName counts as the account holder (credited at once).
 */
export const sandboxSepaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;
  app.post('/v1/sandbox/sepa-deposit', {
    schema: {
      operationId: 'simulateSepaDeposit', tags: ['Sandbox'], summary: 'Simulate an incoming SEPA transfer',
      description: 'Partner IBANs and senders whose name matches the user are APPROVED (credited) at once; '
        + 'other names stay PENDING for the review delay, then APPROVED (a shared name word) or REJECTED (returned).',
      body: Type.Object({
        iban: Type.String({ minLength: 1, description: 'An IBAN of this partner or of one of its users', examples: ['PL61109010140000071219812874'] }),
        amount: { ...Amount, examples: ['500.00'] },
        senderName: Type.Optional(Type.String({ maxLength: 140, description: 'Omitted: the account holder', examples: ['Maria Wiśniewska'] })),
        senderIban: Type.Optional(Type.String({ examples: ['DE89370400440532013000'] })),
        reference: Type.Optional(Type.String({ maxLength: 140 })),
      }, { additionalProperties: false, title: 'SimulatedSepaDepositRequest' }),
      response: {
        201: Type.Object({
          depositId: Uuid,
          status: StringEnum(valuesOf(SepaDepositStatus), { examples: ['APPROVED'] }),
          amount: Type.String({ examples: ['500.00'] }),
          iban: Type.String(),
        }, { title: 'SimulatedSepaDeposit', description: 'The incoming payment and whether it was credited' }),
        ...errorResponses('P630', 'P613'),
      },
    },
  }, async (request, reply) => {
    const iban = normalizeIban(request.body.iban);
    if (!iban) throw new ApiError('P630');
    let senderIban: string | undefined;
    if (request.body.senderIban !== undefined) {
      senderIban = normalizeIban(request.body.senderIban);
      if (!senderIban) throw new ApiError('P630', 'senderIban is not a valid IBAN');
    }
    const amount = parseAmount(request.body.amount, 2);
    const now = partnerNow(request.partner.clockOffsetMs);
    const deposit = await receiveSepaDeposit(db, {
      partnerId: request.partner.id, now, reviewSeconds: app.ctx.config.rails.sepaReviewSeconds,
      input: { iban, amount, senderIban, senderName: request.body.senderName?.trim() || undefined, reference: request.body.reference },
    });
    return reply.code(201).send({ depositId: deposit.id, status: deposit.status, amount: formatAmount(amount, 2), iban });
  });
};
