import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { Nullable, partnerErrors } from '../../kernel/schemas.js';
import { UserStatus } from '../../kernel/statuses.js';
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
      tags: ['Sandbox'], summary: 'Decide the KYC verification of a KYC-model user (APPROVED or REJECTED)',
      body: Type.Object({
        externalUserId: ExternalUserId,
        decision: Type.Union([Type.Literal('APPROVED'), Type.Literal('REJECTED')]),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          externalUserId: Type.String(), status: Type.String({ examples: [UserStatus.ACTIVE, UserStatus.REJECTED] }), iban: Nullable(Type.String()),
        }),
        ...partnerErrors,
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
