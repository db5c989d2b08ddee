import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { request, startTestApp, type TestApp } from '../support/app.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';

const skipRedis = !redisReachable && !process.env.CI;

/** Each store gets its own app with a small limit (5 per minute) and, for Redis, a unique key prefix. */
for (const store of ['memory', 'redis'] as const) {
  describe.skipIf(store === 'redis' && skipRedis)(`rate limiting (${store})${store === 'redis' && skipRedis ? ' (skipped: no Redis at ' + REDIS_URL + ')' : ''}`, () => {
    const prefix = `centum:test:${randomUUID()}:`;
    let t: TestApp;
    const apps: TestApp[] = [];
    const start = async () => {
      const app = await startTestApp({
        RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000',
        ...(store === 'redis' ? { REDIS_URL, RATE_LIMIT_PREFIX: prefix } : {}),
      });
      apps.push(app);
      return app;
    };

    afterAll(async () => {
      for (const app of apps) await app.close();
      if (store === 'redis') {
        const redis = new Redis(REDIS_URL);
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
        await redis.quit();
      }
    });

    it('answers 429 P603 with RateLimit-* and Retry-After once an API key is over its limit', async () => {
      t = await start();
      const p = await t.createPartner();
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 5; i++) {
        last = await p.call('GET', '/v1/partner/balances');
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      expect(last!.headers.get('ratelimit-limit')).toBe('5');
      expect(last!.headers.get('ratelimit-remaining')).toBe('0');
      const over = await p.call('GET', '/v1/partner/balances');
      expect(over.status).toBe(429);
      expect(over.body).toMatchObject({ errorCode: 'P603', errorName: 'rate-limit-exceeded' });
      expect(over.body.errorMessage).toMatch(/Rate limit exceeded/);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(over.headers.get('ratelimit-remaining')).toBe('0');
      // a POST over the limit moves nothing: it never reaches its handler
      const blocked = await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 3600 });
      expect(blocked.status).toBe(429);
      const [{ clock_offset_ms }] = await t.db.query<{ clock_offset_ms: bigint }>('SELECT clock_offset_ms FROM partners WHERE id = $1', [p.id]);
      expect(clock_offset_ms).toBe(0n);
    });

    it('counts each API key on its own', async () => {
      const a = await t.createPartner();
      const b = await t.createPartner();
      for (let i = 0; i < 5; i++) expect((await a.call('GET', '/v1/partner/me')).status).toBe(200);
      expect((await a.call('GET', '/v1/partner/me')).status).toBe(429);
      expect((await b.call('GET', '/v1/partner/me')).status).toBe(200);
    });

    it('limits calls without a key per IP, and exempts health, metrics, docs and the operator API', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await request(`${t.url}/v1/partner/balances`, 'GET')).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      const over = await request(`${t.url}/v1/partner/balances`, 'GET');
      expect(over.body.errorCode).toBe('P603');
      for (let i = 0; i < 8; i++) {
        expect((await request(`${t.url}/health`, 'GET')).status).toBe(200);
        expect((await request(`${t.url}/openapi.json`, 'GET')).status).toBe(200);
        expect((await request(`${t.url}/admin/v1/partners`, 'GET', undefined, { authorization: `Bearer ${t.adminToken}` })).status).toBe(200);
      }
    });

    if (store === 'redis') {
      it('shares counters between processes through Redis', async () => {
        const second = await start();
        const p = await t.createPartner();
        for (let i = 0; i < 3; i++) expect((await p.call('GET', '/v1/partner/me')).status).toBe(200);
        // (on PGlite the second app has its own database, so the key is unknown there: 401, still counted)
        const onSecond = () => request(`${second.url}/v1/partner/me`, 'GET', undefined, { 'x-api-key': p.apiKey });
        expect((await onSecond()).status).not.toBe(429);
        expect((await onSecond()).status).not.toBe(429);
        expect((await onSecond()).status).toBe(429);
        expect((await p.call('GET', '/v1/partner/me')).status).toBe(429);
      });
    }
  });
}

describe('rate limiting settings', () => {
  it('counts per forwarded client IP only behind a trusted proxy (TRUST_PROXY)', async () => {
    for (const [trust, separate] of [['127.0.0.1', true], ['', false]] as const) {
      const t = await startTestApp({ RATE_LIMIT_MAX: '2', TRUST_PROXY: trust });
      try {
        const from = (ip: string) => request(`${t.url}/v1/partner/balances`, 'GET', undefined, { 'x-forwarded-for': ip });
        expect((await from('203.0.113.1')).status).toBe(401);
        expect((await from('203.0.113.1')).status).toBe(401);
        expect((await from('203.0.113.1')).status).toBe(429);
        expect((await from('203.0.113.2')).status, `TRUST_PROXY=${trust}`).toBe(separate ? 401 : 429);
      } finally {
        await t.close();
      }
    }
  });

  it('serves requests when Redis is unreachable (counters skipped, logged)', async () => {
    const t = await startTestApp({ RATE_LIMIT_MAX: '2', REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_PREFIX: `centum:test:${randomUUID()}:` });
    try {
      const p = await t.createPartner();
      for (let i = 0; i < 4; i++) expect((await p.call('GET', '/v1/partner/me')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
