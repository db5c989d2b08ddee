import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Db } from './kernel/db.js';
import type { PartnerKeyCache } from './kernel/http/auth.js';
import type { PartnerAuth } from './kernel/http/partner.js';
import type { JobHandlers } from './jobs/queue.js';
import type { ResolveHost } from './modules/webhooks/index.js';

export type { PartnerAuth };

/** What every module's routes and services get: settings, the database and a logger. */
export interface AppContext {
  config: Config;
  db: Db;
  log: FastifyBaseLogger;
  /** Partners by API key, briefly; forget a partner after changing its key or sandbox clock. */
  partnerKeys: PartnerKeyCache;
  /** DNS for webhook destinations (the system resolver unless BuildOptions.resolveHost). */
  resolveHost: ResolveHost;
  /** The job handlers of the app's modules: what the sandbox clock runs when it drains jobs. */
  jobs: JobHandlers;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
  interface FastifyRequest {
    partner: PartnerAuth;
  }
}
