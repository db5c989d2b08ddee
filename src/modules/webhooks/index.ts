import type { CentumModule } from '../../platform/module.js';
import { WEBHOOK_ATTEMPT_JOB } from '../../outbox/events.js';
import { attemptDelivery } from './engine.js';
import { webhookRoutes } from './routes.js';

/**
 * Webhook settings, the delivery log and replay; the delivery engine runs each attempt as a job.
 * The outbox (outbox/events.ts) queues the first attempt of every event, so the kind is defined there.
 */
export const webhooksModule: CentumModule = { name: 'webhooks', routes: webhookRoutes, jobs: { [WEBHOOK_ATTEMPT_JOB]: attemptDelivery } };

/** How webhook destinations are resolved: the app context carries one (tests inject their own). */
export { resolveWithDns, type ResolveHost } from './url-guard.js';
