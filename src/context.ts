import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Db } from './kernel/db.js';

/** What every module's routes and services get: settings, the database and a logger. */
export interface AppContext {
  config: Config;
  db: Db;
  log: FastifyBaseLogger;
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
