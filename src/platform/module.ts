import type { FastifyPluginAsync } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import type { JobHandler, JobHandlers } from '../jobs/queue.js';
import type { EventType } from '../outbox/events.js';

/**
 * What a module brings, declared in its index.ts. The server and the worker are built from the
 * list of them (src/modules/index.ts): adding a module touches that list and nothing else outside
 * the module.
 */
export interface CentumModule {
  /** The module's folder under src/modules. */
  name: string;
  /** Partner API routes: behind x-api-key auth and Idempotency-Key. */
  routes?: FastifyPluginAsync;
  /** Sandbox routes: as `routes`, and only registered when CENTUM_SANDBOX is on. */
  sandboxRoutes?: FastifyPluginAsync;
  /** Routes without auth (health, web pages). */
  publicRoutes?: FastifyPluginAsync;
  /** Operator routes: behind the admin token. */
  adminRoutes?: FastifyPluginAsync;
  /** What runs each job kind the module enqueues; the worker and the sandbox clock run them. */
  jobs?: Readonly<Record<string, JobHandler>>;
  /**
   * The payload of each webhook event the module emits: a TypeBox schema with a PascalCase `title`
   * (`TransferWebhook`). The contract's `webhooks` section is built from these (src/platform/openapi.ts).
   */
  webhooks?: Readonly<Partial<Record<EventType, TSchema>>>;
}

/** The job handlers of `modules` by kind. Two modules declaring one kind is a programming error. */
export function jobHandlers(modules: readonly CentumModule[]): JobHandlers {
  const handlers = new Map<string, JobHandler>();
  for (const module of modules) {
    for (const [kind, handler] of Object.entries(module.jobs ?? {})) {
      if (handlers.has(kind)) throw new Error(`job kind ${kind} is declared twice (module ${module.name})`);
      handlers.set(kind, handler);
    }
  }
  return handlers;
}
