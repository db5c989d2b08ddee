import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import { ApiError } from '../errors.js';
import { sha256 } from '../secrets.js';

/** Operator, health, metrics and documentation endpoints are not rate limited. */
const EXEMPT = /^\/(health|metrics|openapi\.json|docs|admin)(\/|\?|$)/;

/**
 * Failed authentications (401) per client IP in a fixed window: AUTH_FAILURE_LIMIT per
 * RATE_LIMIT_WINDOW_MS, in Redis when REDIS_URL is set, in memory otherwise. Without it every
 * distinct wrong key got a rate-limit bucket of its own and a database lookup. Redis unreachable:
 * nothing is counted (logged), as for the request limit.
 */
export class AuthFailureLimiter {
  readonly limit: number;
  private readonly windowMs: number;
  private readonly redis?: { client: Redis; prefix: string };
  private readonly log: FastifyBaseLogger;
  private readonly local = new Map<string, { count: number; resetAt: number }>();
  private static readonly MAX_LOCAL = 10_000;

  constructor(options: { limit: number; windowMs: number; redis?: { client: Redis; prefix: string }; log: FastifyBaseLogger }) {
    ({ limit: this.limit, windowMs: this.windowMs, redis: this.redis, log: this.log } = options);
  }

  /** Milliseconds until `ip` may try again once it has used up its failures; 0 while it may try. */
  async blockedFor(ip: string): Promise<number> {
    const { count, ttlMs } = this.redis ? await this.readRedis(ip) : this.readLocal(ip);
    return count >= this.limit ? Math.max(ttlMs, 1) : 0;
  }

  async record(ip: string): Promise<void> {
    if (this.redis) {
      const key = `${this.redis.prefix}auth-fail:${ip}`;
      try {
        await this.redis.client.multi().set(key, 0, 'PX', this.windowMs, 'NX').incr(key).exec();
      } catch (err) {
        this.log.warn({ err }, 'auth-failure counter: redis error');
      }
      return;
    }
    const now = Date.now();
    const entry = this.local.get(ip);
    const { count, resetAt } = entry && entry.resetAt > now ? entry : { count: 0, resetAt: now + this.windowMs };
    this.local.delete(ip); // re-inserted last: the map stays in order of last failure, oldest evicted
    if (this.local.size >= AuthFailureLimiter.MAX_LOCAL) this.local.delete(this.local.keys().next().value!);
    this.local.set(ip, { count: count + 1, resetAt });
  }

  private readLocal(ip: string): { count: number; ttlMs: number } {
    const entry = this.local.get(ip);
    const ttlMs = entry ? entry.resetAt - Date.now() : 0;
    return ttlMs > 0 ? { count: entry!.count, ttlMs } : { count: 0, ttlMs: 0 };
  }

  private async readRedis(ip: string): Promise<{ count: number; ttlMs: number }> {
    const key = `${this.redis!.prefix}auth-fail:${ip}`;
    try {
      const [[, count], [, ttlMs]] = (await this.redis!.client.multi().get(key).pttl(key).exec()) as [Error | null, unknown][];
      return { count: Number(count ?? 0), ttlMs: Number(ttlMs) };
    } catch (err) {
      this.log.warn({ err }, 'auth-failure counter: redis error');
      return { count: 0, ttlMs: 0 };
    }
  }
}

/**
 * Requests per API key (per client IP when there is no key) in a fixed window: RATE_LIMIT_MAX per
 * RATE_LIMIT_WINDOW_MS. Counters live in Redis when REDIS_URL is set (shared by every process),
 * in memory otherwise. Over the limit: 429 P603 with RateLimit-* and Retry-After headers.
 * Returns the failed-authentication limiter, on the same store, for the partner API's key check.
 */
export async function registerRateLimit(app: FastifyInstance, config: Config): Promise<AuthFailureLimiter> {
  // No offline queue: while Redis is unreachable a request fails over at once instead of waiting.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000, enableOfflineQueue: false, lazyConnect: true })
    : undefined;
  redis?.on('error', (err) => app.log.warn({ err }, 'rate-limit redis error'));
  await redis?.connect().catch((err) => app.log.warn({ err }, 'rate-limit redis unreachable; requests are served uncounted until it is back'));
  if (redis) app.addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));

  await app.register(rateLimit, {
    // Applied as an app-wide onRequest hook (below), so it runs before the partner API's key check:
    // calls with a missing or wrong key are counted too.
    global: false,
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    hook: 'onRequest',
    enableDraftSpec: true, // RateLimit-Limit / -Remaining / -Reset, and Retry-After on 429
    ...(redis ? { redis, nameSpace: config.rateLimitPrefix } : {}),
    // Redis down: serve rather than fail every request (logged above).
    skipOnError: true,
    allowList: (request: FastifyRequest) => EXEMPT.test(request.url),
    keyGenerator: (request: FastifyRequest) => {
      const key = request.headers['x-api-key'];
      // The key's hash, not the key, goes to Redis.
      return typeof key === 'string' && key !== '' ? `key:${sha256(key).slice(0, 32)}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      new ApiError('P603', `Rate limit exceeded: at most ${context.max} requests per window; retry in ${context.after}`),
  });
  app.addHook('onRequest', app.rateLimit());
  return new AuthFailureLimiter({
    limit: config.authFailureLimit, windowMs: config.rateLimitWindowMs, log: app.log,
    redis: redis && { client: redis, prefix: config.rateLimitPrefix },
  });
}
