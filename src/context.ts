import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Db } from './kernel/db.js';
import type { PartnerKeyCache } from './kernel/http/auth.js';
import type { ResolveHost } from './modules/webhooks/url-guard.js';

/** What every module's routes and services get: settings, the database and a logger. */
export interface AppContext {
  config: Config;
  db: Db;
  log: FastifyBaseLogger;
  /** Partners by API key, briefly; forget a partner after changing its key or sandbox clock. */
  partnerKeys: PartnerKeyCache;
  /** DNS for webhook destinations (the system resolver unless BuildOptions.resolveHost). */
  resolveHost: ResolveHost;
}

/** The authenticated partner of a request. */
export interface PartnerAuth {
  id: string;
  name: string;
  clockOffsetMs: bigint;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
  interface FastifyRequest {
    partner: PartnerAuth;
  }
}
