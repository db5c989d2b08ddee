import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  adminToken: string;
  /** True when no CENTUM_ADMIN_TOKEN was given and one was generated for this run. */
  adminTokenGenerated: boolean;
  /** Master secret: webhook tokens, wallet seed and card keys are derived from it. */
  secretKey: string;
  logLevel: string;
  sandbox: boolean;
  runWorker: boolean;
  workerPollMs: number;
  bodyLimit: number;
  dbPoolSize: number;
  /** Bounds (ms): pool wait, one statement, one lock wait; an HTTP request's arrival, an idle socket. */
  timeouts: { dbAcquireMs: number; dbStatementMs: number; dbLockMs: number; requestMs: number; connectionMs: number };
  /** How long finished work is kept (hours): idempotency keys, finished jobs, delivered webhooks. */
  retention: { idempotencyHours: number; jobsHours: number; webhooksHours: number };
  /** How long a verified API key is remembered (ms); 0 reads the partners table at every request. */
  authCacheMs: number;
  /** Failed authentications (missing or wrong API key) per client IP per rate-limit window; then 429. */
  authFailureLimit: number;
  /** How long a wrong API key is remembered (ms), so repeating it does not read the partners table; 0: never. */
  authFailureCacheMs: number;
  redisUrl?: string;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  webhookAllowPrivate: boolean;
  /** Webhook deliveries: per-attempt timeout, and the delays (seconds) before each retry. */
  webhook: { timeoutMs: number; retryDelaysSeconds: number[] };
  /** Prefix of rate-limit keys in Redis (several installs or test runs may share one Redis). */
  rateLimitPrefix: string;
  /** Fastify trustProxy: which X-Forwarded-For hops to believe for the client IP (per-IP rate limit). */
  trustProxy: boolean | string;
  /** Prints and creates a demo partner when the database has none. */
  demoPartner: boolean;
  /** FX: 'simulated' (moving rates) or 'fixed' (BASE_EUR_RATES, for tests); seed; exchange fee in percent. */
  fx: { mode: 'simulated' | 'fixed'; seed: string; feePercent: string };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}="${raw}" is not valid: expected an integer from ${min} to ${max}`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name}="${env[name]}" is not valid: expected true or false`);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates every setting once; throws ConfigError with a message naming the variable. */
export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL is not valid: expected postgres://user@host:port/database');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL="${logLevel}" is not valid: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const adminToken = env.CENTUM_ADMIN_TOKEN || '';
  if (adminToken && adminToken.length < 16) {
    throw new ConfigError('CENTUM_ADMIN_TOKEN is too short: use at least 16 characters');
  }
  const dataDir = path.resolve(env.DATA_DIR || './data');
  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '127.0.0.1',
    databaseUrl,
    dataDir,
    adminToken: adminToken || randomBytes(24).toString('base64url'),
    adminTokenGenerated: !adminToken,
    secretKey: env.CENTUM_SECRET_KEY || readOrCreateSecret(dataDir),
    logLevel,
    sandbox: bool(env, 'CENTUM_SANDBOX', true),
    runWorker: bool(env, 'CENTUM_WORKER', true),
    workerPollMs: int(env, 'CENTUM_WORKER_POLL_MS', 250, 10, 60_000),
    bodyLimit: int(env, 'BODY_LIMIT', 1_048_576, 1024, 50 * 1_048_576),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 20, 1, 500),
    timeouts: {
      dbAcquireMs: int(env, 'DB_ACQUIRE_TIMEOUT_MS', 5000, 100, 600_000),
      dbStatementMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 30_000, 100, 3_600_000),
      dbLockMs: int(env, 'DB_LOCK_TIMEOUT_MS', 5000, 10, 600_000),
      requestMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
      connectionMs: int(env, 'CONNECTION_TIMEOUT_MS', 60_000, 100, 3_600_000),
    },
    retention: {
      idempotencyHours: int(env, 'IDEMPOTENCY_RETENTION_HOURS', 24, 24, 24 * 365),
      jobsHours: int(env, 'JOB_RETENTION_HOURS', 24 * 7, 1, 24 * 3650),
      webhooksHours: int(env, 'WEBHOOK_RETENTION_HOURS', 24 * 30, 1, 24 * 3650),
    },
    authCacheMs: int(env, 'AUTH_CACHE_MS', 1000, 0, 60_000),
    authFailureLimit: int(env, 'AUTH_FAILURE_LIMIT', 30, 1, 1_000_000),
    authFailureCacheMs: int(env, 'AUTH_FAILURE_CACHE_MS', 5000, 0, 60_000),
    redisUrl: env.REDIS_URL || undefined,
    rateLimitMax: int(env, 'RATE_LIMIT_MAX', 6000, 1, 10_000_000),
    rateLimitWindowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000),
    webhookAllowPrivate: bool(env, 'WEBHOOK_ALLOW_PRIVATE', bool(env, 'CENTUM_SANDBOX', true)),
    webhook: {
      timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 5000, 100, 60_000),
      retryDelaysSeconds: retryDelays(env),
    },
    rateLimitPrefix: env.RATE_LIMIT_PREFIX || 'centum:rl:',
    trustProxy: trustProxy(env),
    demoPartner: bool(env, 'CENTUM_DEMO_PARTNER', true),
    fx: fxSettings(env),
  };
}

/** FX settings alone, so a process that never builds the app (the worker) reads the same ones. */
export function fxSettings(env: Env): Config['fx'] {
  const mode = env.CENTUM_FX_MODE || 'simulated';
  if (mode !== 'simulated' && mode !== 'fixed') throw new ConfigError(`CENTUM_FX_MODE="${mode}" is not valid: expected simulated or fixed`);
  const feePercent = env.CENTUM_FX_FEE_PERCENT || '1.49';
  if (!/^\d{1,2}(\.\d{1,4})?$/.test(feePercent) || Number(feePercent) >= 50) {
    throw new ConfigError(`CENTUM_FX_FEE_PERCENT="${feePercent}" is not valid: expected a percentage from 0 to 49.9999`);
  }
  return { mode, seed: env.CENTUM_FX_SEED || 'centum', feePercent };
}

/** TRUST_PROXY: true/false, or comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed. */
function trustProxy(env: Env): boolean | string {
  const raw = env.TRUST_PROXY?.trim() ?? '';
  if (raw === '') return false;
  if (['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(raw.toLowerCase())) return bool(env, 'TRUST_PROXY', false);
  if (!/^[0-9a-fA-F.:/,\s]+$/.test(raw)) {
    throw new ConfigError(`TRUST_PROXY="${raw}" is not valid: expected true, false, or proxy addresses (10.0.0.1,10.1.0.0/16)`);
  }
  return raw;
}

/** WEBHOOK_RETRY_DELAYS: comma-separated seconds before each retry; "" or "none" means no retries. */
function retryDelays(env: Env): number[] {
  const raw = env.WEBHOOK_RETRY_DELAYS;
  if (raw === undefined || raw === '') return [8, 16, 32, 64];
  if (raw.trim().toLowerCase() === 'none') return [];
  const delays = raw.split(',').map((part) => Number(part.trim()));
  if (delays.length > 20 || delays.some((d) => !Number.isInteger(d) || d < 1 || d > 86_400)) {
    throw new ConfigError(`WEBHOOK_RETRY_DELAYS="${raw}" is not valid: expected up to 20 comma-separated whole seconds from 1 to 86400 (e.g. 8,16,32,64)`);
  }
  return delays;
}

/** Without CENTUM_SECRET_KEY, a random secret is kept in DATA_DIR so restarts keep the same keys. */
function readOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
