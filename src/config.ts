import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Decimal } from 'decimal.js';

/**
 * Every setting, declared once: its variable, what it accepts, its default and its line in the
 * README's settings table (generated from this list: `npm run centum -- settings-doc`, and a test
 * checks it is current). The environment is read here and nowhere else; the rest of Centum gets
 * the `Config` built from it (through the app context), so a worker, the CLI and the server read
 * the same settings the same way, and tests pass settings instead of editing the environment.
 */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** How a variable's text becomes a value; `undefined` means the text is not valid. */
interface Reader<T> {
  expected: string;
  parse(raw: string): T | undefined;
}

const integer = (min: number, max: number): Reader<number> => ({
  expected: `an integer from ${min} to ${max}`,
  parse: (raw) => (/^-?\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max ? Number(raw) : undefined),
});

const BOOLEANS: Record<string, boolean> = { '1': true, true: true, yes: true, on: true, '0': false, false: false, no: false, off: false };
const boolean: Reader<boolean> = { expected: 'true or false', parse: (raw) => BOOLEANS[raw.toLowerCase()] };

/** A plain decimal (no sign, no exponent) from 0 to `max`. */
const decimal = (max: string, scale = 8): Reader<Decimal> => ({
  expected: `a number from 0 to ${max}`,
  parse: (raw) => (new RegExp(`^\\d+(\\.\\d{1,${scale}})?$`).test(raw) && new Decimal(raw).lte(max) ? new Decimal(raw) : undefined),
});

const oneOf = <T extends string>(...values: T[]): Reader<T> => ({
  expected: `one of ${values.join(', ')}`,
  parse: (raw) => values.find((v) => v === raw),
});

const text = (expected = 'text', test: (raw: string) => boolean = () => true): Reader<string> => ({
  expected, parse: (raw) => (test(raw) ? raw : undefined),
});

/** Comma-separated whole seconds (webhook retry schedule); "none" for no retries. */
const secondsList: Reader<number[]> = {
  expected: 'up to 20 comma-separated whole seconds from 1 to 86400 (e.g. 8,16,32,64), or none',
  parse: (raw) => {
    if (raw.trim().toLowerCase() === 'none') return [];
    const parts = raw.split(',').map((p) => p.trim());
    if (parts.length > 20 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 86_400)) return undefined;
    return parts.map(Number);
  },
};

/** The EU member states, where cards are issued by default. */
export const EU_COUNTRIES = [
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL',
  'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
] as const;

/** Comma-separated ISO 3166-1 alpha-2 codes. */
const countryList: Reader<string[]> = {
  expected: 'comma-separated two-letter country codes (AT,BE,...)',
  parse: (raw) => {
    const parts = raw.split(',').map((p) => p.trim().toUpperCase());
    return parts.every((p) => /^[A-Z]{2}$/.test(p)) ? parts : undefined;
  },
};

/** Six whole EUR amounts: monthlyTrxAll,dailyTrxAll,monthlyTrxAtm,dailyTrxAtm,monthlyTrxEcom,dailyTrxEcom. */
const cardLimitList: Reader<number[]> = {
  expected: 'six comma-separated whole EUR amounts (monthlyTrxAll,dailyTrxAll,monthlyTrxAtm,dailyTrxAtm,monthlyTrxEcom,dailyTrxEcom)',
  parse: (raw) => {
    const parts = raw.split(',').map((p) => p.trim());
    if (parts.length !== 6 || parts.some((p) => !/^\d{1,9}$/.test(p))) return undefined;
    return parts.map(Number);
  },
};

/** `true`/`false`, or proxy addresses and CIDRs whose X-Forwarded-For is believed. */
const proxies: Reader<boolean | string> = {
  expected: 'true, false, or proxy addresses (10.0.0.1,10.1.0.0/16)',
  parse: (raw) => boolean.parse(raw) ?? (/^[0-9a-fA-F.:/,\s]+$/.test(raw) ? raw : undefined),
};

interface Setting<T> {
  name: string;
  read: Reader<T>;
  /** Used when the variable is unset or empty; undefined: no value. */
  fallback?: T;
  /** The README's default column (when it is not the fallback's plain text). */
  shows?: string;
  doc: string;
}

const setting = <T>(name: string, read: Reader<T>, fallback: T | undefined, doc: string, shows?: string): Setting<T> =>
  ({ name, read, fallback, doc, shows });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The declaration, in the README's order. */
export const SETTINGS = {
  port: setting('PORT', integer(0, 65535), 3000, 'port the HTTP server listens on'),
  host: setting('HOST', text(), '127.0.0.1', 'address the HTTP server listens on'),
  databaseUrl: setting('DATABASE_URL', text('postgres://user@host:port/database', (raw) => /^postgres(ql)?:\/\//.test(raw)), undefined,
    '`postgres://user@host:port/db`', '(none: embedded PGlite)'),
  dataDir: setting('DATA_DIR', text(), './data', 'embedded database and the generated master secret'),
  adminToken: setting('CENTUM_ADMIN_TOKEN', text('at least 16 characters', (raw) => raw.length >= 16), undefined,
    'operator API token (16+ characters)', 'random per run, printed'),
  secretKey: setting('CENTUM_SECRET_KEY', text(), undefined, 'master secret: webhook tokens, wallet seed', 'generated into `DATA_DIR/secret.key`'),
  logLevel: setting('LOG_LEVEL', oneOf(...LOG_LEVELS), 'info', 'pino level'),
  sandbox: setting('CENTUM_SANDBOX', boolean, true, 'serve `/v1/sandbox/...` (simulated rails)'),
  runWorker: setting('CENTUM_WORKER', boolean, true, 'run background jobs in the server process'),
  bodyLimit: setting('BODY_LIMIT', integer(1024, 50 * 1_048_576), 1_048_576, 'largest request body in bytes'),
  dbPoolSize: setting('DB_POOL_SIZE', integer(1, 500), 20, 'PostgreSQL connections'),
  dbAcquireMs: setting('DB_ACQUIRE_TIMEOUT_MS', integer(100, 600_000), 5000, 'longest wait for a pooled connection; then 503 P501'),
  dbLockMs: setting('DB_LOCK_TIMEOUT_MS', integer(10, 600_000), 5000, 'PostgreSQL `lock_timeout`: a lock wait past it is 503 P501'),
  dbStatementMs: setting('DB_STATEMENT_TIMEOUT_MS', integer(100, 3_600_000), 30_000,
    'PostgreSQL `statement_timeout`: a statement past it is 503 P501'),
  requestMs: setting('REQUEST_TIMEOUT_MS', integer(100, 3_600_000), 30_000, 'a whole request must arrive within it (else 408 P609)'),
  connectionMs: setting('CONNECTION_TIMEOUT_MS', integer(100, 3_600_000), 60_000, 'an idle socket is closed after it'),
  shutdownMs: setting('SHUTDOWN_TIMEOUT_MS', integer(100, 3_600_000), 10_000,
    'on SIGTERM/SIGINT, how long in-flight requests, jobs and webhook attempts may take to finish; then the process exits anyway (code 1)'),
  idempotencyHours: setting('IDEMPOTENCY_RETENTION_HOURS', integer(24, 24 * 365), 24,
    'how long an `Idempotency-Key` and its answer are kept (24 at least)'),
  jobsHours: setting('JOB_RETENTION_HOURS', integer(1, 24 * 3650), 24 * 7, 'how long finished jobs are kept'),
  webhooksHours: setting('WEBHOOK_RETENTION_HOURS', integer(1, 24 * 3650), 24 * 30, 'how long delivered webhooks are kept'),
  authCacheMs: setting('AUTH_CACHE_MS', integer(0, 60_000), 1000,
    'how long a verified API key is remembered (`0`: never); a key rotated by another process (`centum partner rotate-key`) '
    + 'stops working within this time, at once in the process that rotated it'),
  authFailureLimit: setting('AUTH_FAILURE_LIMIT', integer(1, 1_000_000), 30,
    'failed authentications (missing or wrong API key) per client IP per `RATE_LIMIT_WINDOW_MS`; then 429 P603'),
  authFailureCacheMs: setting('AUTH_FAILURE_CACHE_MS', integer(0, 60_000), 5000,
    'how long a wrong API key is remembered, so repeating it does not read the database (`0`: never)'),
  workerPollMs: setting('CENTUM_WORKER_POLL_MS', integer(10, 60_000), 250, 'how often an idle worker looks for due jobs'),
  demoPartner: setting('CENTUM_DEMO_PARTNER', boolean, true, 'create and print a demo partner when the database has none'),
  redisUrl: setting('REDIS_URL', text(), undefined, 'rate-limit counters shared by several processes', '(none: in memory)'),
  rateLimitMax: setting('RATE_LIMIT_MAX', integer(1, 10_000_000), 6000, 'requests per API key (or per IP without one) per window'),
  rateLimitWindowMs: setting('RATE_LIMIT_WINDOW_MS', integer(1000, 86_400_000), 60_000, 'the rate-limit window'),
  rateLimitPrefix: setting('RATE_LIMIT_PREFIX', text(), 'centum:rl:', 'Redis key prefix of the counters'),
  trustProxy: setting('TRUST_PROXY', proxies, false as boolean | string,
    '`true`, or proxy addresses/CIDRs whose `X-Forwarded-For` is believed'),
  webhookTimeoutMs: setting('WEBHOOK_TIMEOUT_MS', integer(100, 60_000), 5000, 'time limit of one delivery attempt'),
  webhookRetryDelays: setting('WEBHOOK_RETRY_DELAYS', secondsList, [8, 16, 32, 64], 'seconds before each retry (5 attempts in all)', '`8,16,32,64`'),
  webhookAllowPrivate: setting('WEBHOOK_ALLOW_PRIVATE', boolean, undefined, 'allow webhook URLs on loopback and private networks', '= `CENTUM_SANDBOX`'),
  fxMode: setting('CENTUM_FX_MODE', oneOf('simulated', 'fixed'), 'simulated',
    '`simulated` (rates move slowly with time) or `fixed` (the spec\'s example rates)'),
  fxSeed: setting('CENTUM_FX_SEED', text(), 'centum', 'seed of the simulated rates'),
  fxFeePercent: setting('CENTUM_FX_FEE_PERCENT', decimal('49.9999', 4), new Decimal('1.49'), 'exchange and order fee', '`1.49`'),
  sepaFeePercent: setting('CENTUM_SEPA_FEE_PERCENT', decimal('50'), new Decimal('0.1'), 'outgoing SEPA fee, percent', '`0.1`'),
  sepaFeeMinEur: setting('CENTUM_SEPA_FEE_MIN_EUR', decimal('1000', 2), new Decimal('1.00'), 'outgoing SEPA fee, at least', '`1.00`'),
  sepaSettlementSeconds: setting('CENTUM_SEPA_SETTLEMENT_SECONDS', integer(0, 30 * 86_400), 600, 'simulated settlement delay of outgoing SEPA'),
  sepaReviewSeconds: setting('CENTUM_SEPA_REVIEW_SECONDS', integer(0, 30 * 86_400), 3600,
    'simulated manual review of incoming SEPA whose sender name does not match'),
  bankAddress: setting('CENTUM_SEPA_BANK_ADDRESS', text(), 'Gedimino pr. 1, Vilnius, LT', 'bank address shown in SEPA deposit info'),
  travelRuleThresholdEur: setting('CENTUM_TRAVEL_RULE_THRESHOLD_EUR', decimal('1000000000'), new Decimal('1000'),
    'crypto deposits from an outside sender above this wait for travel-rule data', '`1000`'),
  publicUrl: setting('CENTUM_PUBLIC_URL', text('an http(s) URL without a trailing slash', (raw) => /^https?:\/\/[^\s/]+(\/[^\s]*[^/\s])?$/.test(raw)),
    undefined, 'base URL of hosted pages in links given to end users and payers (KYC verification, payment links)',
    "(none: the API request's own host)"),
  filesDir: setting('CENTUM_FILES_DIR', text(), undefined, 'folder of the encrypted KYC and POA files (the local file store)', '`DATA_DIR/files`'),
  kycLinkTtlSeconds: setting('CENTUM_KYC_LINK_TTL_SECONDS', integer(60, 30 * 86_400), 3600,
    'how long a hosted verification link works (partner clock); fetching a new link ends the previous one'),
  kycReviewSeconds: setting('CENTUM_KYC_REVIEW_SECONDS', integer(0, 30 * 86_400), 300,
    'simulated KYC provider: automatic review this long after the files are in (partner clock)'),
  poaReviewSeconds: setting('CENTUM_POA_REVIEW_SECONDS', integer(0, 30 * 86_400), 3600,
    'simulated proof-of-address review this long after the upload (partner clock)'),
  poaForExtended: setting('CENTUM_POA_FOR_EXTENDED', oneOf('countries', 'always', 'never'), 'countries',
    'who needs an approved proof of address for the extended tier (cards): `countries` (residents and citizens of AM, AR, AZ, GE, IL, MD, UA), `always` or `never`'),
  cardBin: setting('CENTUM_CARD_BIN', text('6 to 8 digits', (raw) => /^\d{6,8}$/.test(raw)), '535456',
    'test BIN (issuer prefix) of the virtual card numbers'),
  cardCountries: setting('CENTUM_CARD_COUNTRIES', countryList, [...EU_COUNTRIES], 'countries (ISO alpha-2) whose users may get cards',
    'the 27 EU member states'),
  cardLimitsDefault: setting('CENTUM_CARD_LIMITS_DEFAULT', cardLimitList, [5000, 1000, 1000, 200, 3000, 500],
    'new card limits in EUR: monthlyTrxAll,dailyTrxAll,monthlyTrxAtm,dailyTrxAtm,monthlyTrxEcom,dailyTrxEcom', '`5000,1000,1000,200,3000,500`'),
  cardLimitsMax: setting('CENTUM_CARD_LIMITS_MAX', cardLimitList, [20000, 5000, 5000, 1000, 10000, 3000],
    'highest card limits a partner may set, same order', '`20000,5000,5000,1000,10000,3000`'),
  cardAuthExpirySeconds: setting('CENTUM_CARD_AUTH_EXPIRY_SECONDS', integer(60, 60 * 86_400), 7 * 86_400,
    'an authorization neither captured nor reversed expires (hold released) after it'),
  cardFeeEur: setting('CENTUM_CARD_FEE_EUR', decimal('100', 2), new Decimal('0.25'), 'monthly fee per card, from the partner\'s EUR balance',
    '`0.25`'),
} as const;

type Values = { [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K] extends Setting<infer T> ? T : never };

/** Settings of the simulated rails (SEPA and chains). */
export interface RailSettings {
  /** SEPA transfer fee: percent of the amount, with a minimum in EUR cents. */
  sepaFeePercent: Decimal;
  sepaFeeMinCents: bigint;
  /** Seconds from creating a SEPA transfer to its settlement by the simulated bank. */
  sepaSettlementSeconds: number;
  /** Seconds a SEPA deposit whose sender name does not match waits for the manual review. */
  sepaReviewSeconds: number;
  /** Crypto deposits worth more than this (EUR) wait for travel-rule data before crediting. */
  travelRuleThresholdEur: Decimal;
  /** Address of the simulated bank, shown by Get SEPA Deposit Info. */
  bankAddress: string;
}

/** Settings of the virtual cards (src/modules/cards) and their simulated network. */
export interface CardSettings {
  /** Issuer prefix of the card numbers (a test range). */
  bin: string;
  /** Countries (upper-case alpha-2) whose users may get cards. */
  countries: string[];
  /** Who needs an approved proof of address to be extended (P461), the KYC module's policy (CENTUM_POA_FOR_EXTENDED). */
  poaForExtended: KycSettings['poaForExtended'];
  /** Limits in whole EUR, in the contract's order: monthlyTrxAll, dailyTrxAll, monthlyTrxAtm, dailyTrxAtm, monthlyTrxEcom, dailyTrxEcom. */
  limitsDefault: number[];
  limitsMax: number[];
  /** Seconds an authorization stays held before it expires. */
  authExpirySeconds: number;
  /** Monthly fee per card, EUR cents. */
  feeCents: bigint;
}

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
  /** Bounds (ms): pool wait, one statement, one lock wait; an HTTP request's arrival, an idle socket; a graceful shutdown. */
  timeouts: { dbAcquireMs: number; dbStatementMs: number; dbLockMs: number; requestMs: number; connectionMs: number; shutdownMs: number };
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
  /**
   * Base URL of hosted pages (no trailing slash): payment links are `${publicUrl}/pay/<token>`;
   * undefined: the API request's own scheme and host (publicBaseUrl in src/kernel/web/page.ts).
   */
  publicUrl?: string;
  /** FX: 'simulated' (moving rates) or 'fixed' (BASE_EUR_RATES, for tests); seed; exchange fee in percent. */
  fx: { mode: 'simulated' | 'fixed'; seed: string; feePercent: string };
  rails: RailSettings;
  kyc: KycSettings;
  cards: CardSettings;
}

/** KYC and proof of address (src/modules/kyc). */
export interface KycSettings {
  /** Folder of the local file store (encrypted files). */
  filesDir: string;
  linkTtlSeconds: number;
  /** Simulated provider: seconds from submission to the automatic KYC review, and to the POA review. */
  reviewSeconds: number;
  poaReviewSeconds: number;
  poaForExtended: 'countries' | 'always' | 'never';
}

/** Reads one setting: its fallback when unset or empty; ConfigError naming the variable when not valid. */
function readSetting<T>(env: Env, s: Setting<T>): T | undefined {
  const raw = env[s.name];
  if (raw === undefined || raw === '') return s.fallback;
  const value = s.read.parse(raw);
  if (value === undefined) throw new ConfigError(`${s.name}="${raw}" is not valid: expected ${s.read.expected}`);
  return value;
}

/** The rails' settings of `env` (part of loadConfig). */
function railSettingsOf(env: Env): RailSettings {
  return {
    sepaFeePercent: readSetting(env, SETTINGS.sepaFeePercent)!,
    sepaFeeMinCents: BigInt(readSetting(env, SETTINGS.sepaFeeMinEur)!.mul(100).toFixed(0, Decimal.ROUND_UP)),
    sepaSettlementSeconds: readSetting(env, SETTINGS.sepaSettlementSeconds)!,
    sepaReviewSeconds: readSetting(env, SETTINGS.sepaReviewSeconds)!,
    travelRuleThresholdEur: readSetting(env, SETTINGS.travelRuleThresholdEur)!,
    bankAddress: readSetting(env, SETTINGS.bankAddress)!,
  };
}

/** Reads and validates every setting once; throws ConfigError with a message naming the variable. */
export function loadConfig(env: Env = process.env): Config {
  const v = Object.fromEntries(
    Object.entries(SETTINGS).map(([key, s]) => [key, readSetting(env, s as Setting<unknown>)]),
  ) as Values;
  const dataDir = path.resolve(v.dataDir);
  return {
    port: v.port,
    host: v.host,
    databaseUrl: v.databaseUrl,
    dataDir,
    adminToken: v.adminToken ?? randomBytes(24).toString('base64url'),
    adminTokenGenerated: v.adminToken === undefined,
    secretKey: v.secretKey ?? readOrCreateSecret(dataDir),
    logLevel: v.logLevel,
    sandbox: v.sandbox,
    runWorker: v.runWorker,
    workerPollMs: v.workerPollMs,
    bodyLimit: v.bodyLimit,
    dbPoolSize: v.dbPoolSize,
    timeouts: {
      dbAcquireMs: v.dbAcquireMs, dbStatementMs: v.dbStatementMs, dbLockMs: v.dbLockMs,
      requestMs: v.requestMs, connectionMs: v.connectionMs, shutdownMs: v.shutdownMs,
    },
    retention: { idempotencyHours: v.idempotencyHours, jobsHours: v.jobsHours, webhooksHours: v.webhooksHours },
    authCacheMs: v.authCacheMs,
    authFailureLimit: v.authFailureLimit,
    authFailureCacheMs: v.authFailureCacheMs,
    redisUrl: v.redisUrl,
    rateLimitMax: v.rateLimitMax,
    rateLimitWindowMs: v.rateLimitWindowMs,
    webhookAllowPrivate: v.webhookAllowPrivate ?? v.sandbox,
    webhook: { timeoutMs: v.webhookTimeoutMs, retryDelaysSeconds: v.webhookRetryDelays },
    rateLimitPrefix: v.rateLimitPrefix,
    trustProxy: v.trustProxy,
    demoPartner: v.demoPartner,
    publicUrl: v.publicUrl,
    fx: { mode: v.fxMode, seed: v.fxSeed, feePercent: v.fxFeePercent.toString() },
    rails: railSettingsOf(env),
    kyc: {
      filesDir: path.resolve(v.filesDir ?? path.join(dataDir, 'files')),
      linkTtlSeconds: v.kycLinkTtlSeconds,
      reviewSeconds: v.kycReviewSeconds,
      poaReviewSeconds: v.poaReviewSeconds,
      poaForExtended: v.poaForExtended,
    },
    cards: checkedCardSettings({
      bin: v.cardBin, countries: v.cardCountries, poaForExtended: v.poaForExtended,
      limitsDefault: v.cardLimitsDefault, limitsMax: v.cardLimitsMax, authExpirySeconds: v.cardAuthExpirySeconds,
      feeCents: BigInt(v.cardFeeEur.mul(100).toFixed(0)),
    }),
  };
}

/**
 * Card limits as an update would check them (src/modules/cards/service.ts `updateLimits`): each
 * default at most its maximum, daily at most monthly, ATM and e-commerce at most all.
 */
function checkedCardSettings(cards: CardSettings): CardSettings {
  const [monthlyAll, dailyAll, monthlyAtm, dailyAtm, monthlyEcom, dailyEcom] = cards.limitsDefault;
  const consistent = cards.limitsDefault.every((value, i) => value <= cards.limitsMax[i])
    && dailyAll <= monthlyAll && dailyAtm <= monthlyAtm && dailyEcom <= monthlyEcom
    && monthlyAtm <= monthlyAll && dailyAtm <= dailyAll && monthlyEcom <= monthlyAll && dailyEcom <= dailyAll;
  if (!consistent) {
    throw new ConfigError(`${SETTINGS.cardLimitsDefault.name} must be at most ${SETTINGS.cardLimitsMax.name}, daily at most monthly, `
      + 'ATM and e-commerce at most all');
  }
  return cards;
}

/** The README's settings table, from the declaration. */
export function settingsMarkdown(): string {
  const shown = (s: Setting<unknown>) => {
    if (s.shows) return s.shows;
    if (s.fallback === undefined) return '(none)';
    return `\`${String(s.fallback)}\``;
  };
  return [
    '| Variable | Default | Meaning |',
    '|---|---|---|',
    ...Object.values(SETTINGS).map((s) => `| \`${s.name}\` | ${shown(s as Setting<unknown>)} | ${s.doc} |`),
  ].join('\n');
}

const TABLE = /(<!-- settings:[^\n]*-->\n)[\s\S]*?(\n<!-- \/settings -->)/;

/** `readme` with its settings table (between the `<!-- settings -->` markers) made anew. */
export function withSettingsTable(readme: string): string {
  if (!TABLE.test(readme)) throw new Error('README.md has no <!-- settings: --> ... <!-- /settings --> markers');
  return readme.replace(TABLE, (_, open: string, close: string) => `${open}${settingsMarkdown()}${close}`);
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
