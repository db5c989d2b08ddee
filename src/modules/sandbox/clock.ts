import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { advanceClock } from '../../kernel/clock.js';
import { countDueJobs, drainJobs } from '../../jobs/queue.js';
import { errorResponses } from '../../kernel/schemas.js';

/**
 * POST /v1/sandbox/clock/advance: moves this partner's simulated clock and runs everything that
 * falls due (settlements, confirmations, expiries, webhook retries) before answering.
 */
export const sandboxClockRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.ctx;
  app.post('/v1/sandbox/clock/advance', {
    // It runs jobs that call partner servers: no one transaction can hold it (idempotency.ts).
    config: { idempotency: 'lease' },
    schema: {
      operationId: 'advanceSandboxClock', tags: ['Sandbox'], summary: 'Advance the simulated clock',
      description: "Moves this partner's clock forward and runs everything that falls due before it answers: settlements, confirmations, "
        + 'expiries, webhook attempts. Other partners\' clocks do not move.',
      body: Type.Object({ seconds: Type.Integer({ minimum: 0, maximum: 10 * 365 * 86_400, examples: [3600] }) }, {
        additionalProperties: false, title: 'ClockAdvanceRequest',
      }),
      response: {
        200: Type.Object({
          now: Type.String({ format: 'date-time', description: "The partner's clock after the move" }),
          jobsRun: Type.Integer({ description: 'Jobs run because they fell due' }),
        }, { title: 'ClockAdvanced', description: 'The new time and what ran' }),
        ...errorResponses(),
      },
    },
  }, async (request) => {
    const now = await advanceClock(db, request.partner.id, request.body.seconds * 1000);
    request.partner.clockOffsetMs += BigInt(request.body.seconds * 1000);
    app.ctx.partnerKeys.forget(request.partner.id);
    let jobsRun = 0;
    // Jobs may schedule follow-ups that are already due; a background worker may hold some.
    for (let round = 0; round < 1000; round++) {
      jobsRun += await drainJobs(db, app.ctx.jobs, request.partner.id);
      if ((await countDueJobs(db, request.partner.id)) === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    return { now: now.toISOString(), jobsRun };
  });
};
