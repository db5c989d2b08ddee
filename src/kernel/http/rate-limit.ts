import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import { ApiError } from '../errors.js';
import { sha256 } from '../secrets.js';

/** Operator, health, metrics and documentation endpoints are not rate limited. */
const EXEMPT = /^\/(health|metrics|openapi\.json|docs|admin)(\/|\?|$)/;

/**
 * Requests per API key (per client IP when there is no key) in a fixed window: RATE_LIMIT_MAX per
 * RATE_LIMIT_WINDOW_MS. Counters live in Redis when REDIS_URL is set (shared by every process),
 * in memory otherwise. Over the limit: 429 P603 with RateLimit-* and Retry-After headers.
 */
export async function registerRateLimit(app: FastifyInstance, config: Config): Promise<void> {
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
}
