import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { errorResponses, StringEnum } from '../../kernel/schemas.js';
import { ExternalUserId } from '../users/index.js';
import { KycStatus, PoaDecisionResult } from './schemas.js';
import { decidePoa, decideVerification, kycStatusView, latestVerification, requireKycUser, type KycDecision } from './service.js';

const tags = ['Sandbox'];

/**
 * The simulated KYC provider's decisions, one endpoint per kind (docs/kyc.md): on the user's
 * latest KYC attempt (approve, reject with a reason and whether a retry is allowed, ask for a
 * resubmission, expire) and on its proof of address under review.
 */
export const sandboxKycDecisionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;

  app.post('/v1/sandbox/kyc/decision', {
    schema: {
      operationId: 'decideKycAttempt', tags, summary: "Decide the user's latest KYC attempt (simulated provider)",
      description: 'APPROVE or REJECT an open attempt; RESUBMIT an attempt whose files are in (it goes back to PENDING); EXPIRE the '
        + 'latest verification. REJECT with retryAllowed false rejects the user for good. Each change sends /webhook/kyc/status.',
      body: Type.Object({
        externalUserId: ExternalUserId,
        decision: StringEnum(['APPROVE', 'REJECT', 'RESUBMIT', 'EXPIRE'] as const, { examples: ['REJECT'] }),
        rejectionReason: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Z0-9_]+$', examples: ['NO_FACE_FOUND'] })),
        retryAllowed: Type.Optional(Type.Boolean({ default: true })),
      }, { additionalProperties: false, title: 'SandboxKycDecision' }),
      response: { 200: KycStatus, ...errorResponses('P412', 'P445', 'P610', 'P614', 'P674') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const { externalUserId, decision, rejectionReason, retryAllowed } = request.body;
    const d: KycDecision = decision === 'REJECT'
      ? { decision, reason: rejectionReason ?? 'DOCUMENT_NOT_ACCEPTED', retryAllowed: retryAllowed ?? true }
      : decision === 'RESUBMIT' ? { decision, reason: rejectionReason ?? 'BAD_PHOTO_QUALITY' } : { decision };
    return db.tx(async (q) => {
      const user = await requireKycUser(q, request.partner.id, externalUserId);
      const latest = await latestVerification(q, user.id);
      if (!latest) throw new ApiError('P445');
      return kycStatusView(user, await decideVerification(q, user, latest, d, now));
    });
  });

  app.post('/v1/sandbox/poa/decision', {
    schema: {
      operationId: 'decidePoaReview', tags, summary: "Decide the user's proof of address under review (simulated provider)",
      description: 'APPROVED, REJECTED (final: another document is needed) or QUESTIONED (upload a clearer file). Sends /webhook/poa-verification/status.',
      body: Type.Object({
        externalUserId: ExternalUserId,
        status: StringEnum(['APPROVED', 'REJECTED', 'QUESTIONED'] as const, { examples: ['APPROVED'] }),
        reason: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Z0-9_]+$', examples: ['ADDRESS_NOT_MATCHING'] })),
      }, { additionalProperties: false, title: 'SandboxPoaDecision' }),
      response: { 200: PoaDecisionResult, ...errorResponses('P412', 'P460', 'P610', 'P614', 'P675') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const { externalUserId, status, reason } = request.body;
    return db.tx(async (q) => {
      const user = await requireKycUser(q, request.partner.id, externalUserId);
      const row = await decidePoa(q, user, status, reason ?? null, now);
      return { externalUserId, status: row.status };
    });
  });
};
