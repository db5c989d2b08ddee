import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { connectPostgres, openPglite, type Db, type FaultInjector } from '../../src/kernel/db.js';
import { migrate } from '../../src/kernel/migrate.js';
import { ensureHouseAccounts } from '../../src/ledger/index.js';
import { buildApp } from '../../src/server.js';
import type { ResolveHost } from '../../src/modules/webhooks/url-guard.js';
import type { CentumModule } from '../../src/platform/module.js';

/**
 * A real server on a loopback port over a real database: the PostgreSQL of DATABASE_URL when set
 * (shared by all test files; each test creates its own partners), else a fresh in-memory PGlite.
 */
export interface TestApp {
  url: string;
  db: Db;
  app: FastifyInstance;
  config: Config;
  adminToken: string;
  /** Creates a partner through the operator API. */
  createPartner(name?: string): Promise<TestPartner>;
  close(): Promise<void>;
}

export interface TestPartner {
  id: string;
  name: string;
  apiKey: string;
  webhookToken: string;
  /** fetch() against the API with this partner's key; JSON in and out. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * CENTUM_TEST_IDEMPOTENCY=1 sends a fresh Idempotency-Key with every POST that has none, so the
 * whole suite can be run with every request inside its idempotency transaction.
 */
const KEY_EVERY_POST = process.env.CENTUM_TEST_IDEMPOTENCY === '1';

export async function request(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (KEY_EVERY_POST && method === 'POST' && !Object.keys(headers).some((h) => h.toLowerCase() === 'idempotency-key')) {
    (init.headers as Record<string, string>)['idempotency-key'] = crypto.randomUUID();
  }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

export interface TestAppOptions {
  /** Wraps the database handle the app uses (fault injection at the driver boundary). */
  wrapDb?: (db: Db) => Db;
  /** Fails statements as the database would (serialization failures, deadlocks, lost connections). */
  faults?: FaultInjector;
  /** Resolves webhook hosts instead of the system's DNS (a rebinding DNS server, say). */
  resolveHost?: ResolveHost;
  /** The modules the app is built from (all of them by default); a test may add one with its own jobs. */
  modules?: readonly CentumModule[];
  /** Pino options for the app's logger (a test capturing the log passes a `stream`); none by default. */
  logger?: object;
}

export async function startTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    CENTUM_ADMIN_TOKEN: ADMIN_TOKEN,
    CENTUM_SECRET_KEY: 'test-secret-key',
    CENTUM_WORKER: 'false',
    LOG_LEVEL: 'silent',
    DATABASE_URL: process.env.DATABASE_URL ?? '',
    DB_POOL_SIZE: '30',
    ...env,
  });
  const db = config.databaseUrl
    ? connectPostgres(config.databaseUrl, {
        poolSize: config.dbPoolSize, acquireTimeoutMs: config.timeouts.dbAcquireMs,
        statementTimeoutMs: config.timeouts.dbStatementMs, lockTimeoutMs: config.timeouts.dbLockMs, faults: options.faults,
      })
    : await openPglite(undefined, { faults: options.faults });
  await migrate(db);
  await ensureHouseAccounts(db);
  const app = await buildApp({
    config, db: options.wrapDb ? options.wrapDb(db) : db, logger: options.logger ?? false, resolveHost: options.resolveHost, modules: options.modules,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  return {
    url, db, app, config, adminToken: ADMIN_TOKEN,
    async createPartner(name = 'Test partner') {
      const res = await request(`${url}/admin/v1/partners`, 'POST', { name }, { authorization: `Bearer ${ADMIN_TOKEN}` });
      if (res.status !== 201) throw new Error(`create partner failed: ${res.status} ${JSON.stringify(res.body)}`);
      const partner = res.body;
      return {
        ...partner,
        call: (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
          request(`${url}${path}`, method, body, { 'x-api-key': partner.apiKey, ...headers }),
      };
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}
