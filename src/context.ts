import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Db } from './kernel/db.js';
import type { PartnerKeyCache } from './kernel/http/auth.js';
import type { PartnerAuth } from './kernel/http/partner.js';
import type { JobRuntime } from './jobs/queue.js';
import type { Fx } from './rails/fx/rates.js';
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
  /** The FX rail: rates and the exchange fee. */
  fx: Fx;
  /** What the app's jobs run with (handlers, settings, rails): the sandbox clock drains jobs with it. */
  jobs: JobRuntime;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
  interface FastifyRequest {
    partner: PartnerAuth;
  }
}
