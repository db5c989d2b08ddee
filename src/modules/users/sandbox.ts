import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { errorResponses, Nullable, StringEnum } from '../../kernel/schemas.js';
import { UserStatus, valuesOf } from '../../kernel/statuses.js';
import { findAccount } from '../../ledger/index.js';
import { ExternalUserId } from './schemas.js';
import { decideKyc, requireUser } from './service.js';

/**
 * POST /v1/sandbox/kyc-decision: the simulated KYC provider's verdict on a KYC-model user waiting
 * for it. APPROVED issues the IBAN, activates the EUR balance and the user; REJECTED is final.
 * Both emit /webhook/user/status.
 */
export const sandboxKycRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;
  app.post('/v1/sandbox/kyc-decision', {
    schema: {
      operationId: 'decideKyc', tags: ['Sandbox'], summary: 'Decide the KYC verification of a KYC-model user',
      description: 'The simulated KYC provider\'s verdict on a KYC-model user waiting for it: APPROVED issues the IBAN and activates the '
        + 'EUR balance and the user; REJECTED is final. Both send the `user.status` webhook.',
      body: Type.Object({
        externalUserId: ExternalUserId,
        decision: StringEnum(['APPROVED', 'REJECTED']),
      }, { additionalProperties: false, title: 'KycDecisionRequest' }),
      response: {
        200: Type.Object({
          externalUserId: Type.String(),
          status: StringEnum(valuesOf(UserStatus), { examples: [UserStatus.ACTIVE, UserStatus.REJECTED] }),
          iban: Nullable(Type.String({ description: 'The IBAN of the user\'s EUR balance (null when rejected)' })),
        }, { title: 'KycDecision', description: 'The user after the decision' }),
        ...errorResponses('P412', 'P610', 'P614', 'P617'),
      },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    return db.tx(async (q) => {
      const user = await requireUser(q, request.partner.id, request.body.externalUserId, { lock: true });
      const decided = await decideKyc(q, user, request.body.decision, now);
      const eur = await findAccount(q, { partnerId: user.partner_id, userId: user.id }, 'eur');
      return { externalUserId: decided.external_user_id, status: decided.status, iban: eur?.iban ?? null };
    });
  });
};
