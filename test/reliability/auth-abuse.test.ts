import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Db } from '../../src/kernel/db.js';
import { request, startTestApp, type TestApp } from '../support/app.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';

/**
 * Wrong API keys cannot get around the rate limiter or load the database: failed authentications
 * are limited per client IP (AUTH_FAILURE_LIMIT per RATE_LIMIT_WINDOW_MS, then 429 P603), and a
 * wrong key is remembered for AUTH_FAILURE_CACHE_MS. A key this process has found valid is still
 * served from an IP over its limit. Lookups are counted at the database handle the app uses.
 */
const apps: TestApp[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

async function start(env: Record<string, string>) {
  const counter = { lookups: 0 };
  const wrapDb = (db: Db): Db => ({
    ...db,
    query: async (sql, params) => {
      if (/FROM partners WHERE api_key_hash/.test(sql)) counter.lookups++;
      return db.query(sql, params);
    },
  });
  const app = await startTestApp({ TRUST_PROXY: '127.0.0.1', ...env }, { wrapDb });
  apps.push(app);
  /** GET /v1/partner/me from a client IP (X-Forwarded-For through the trusted proxy), with a key or none. */
  const from = (t: TestApp, ip: string, key?: string) =>
    request(`${t.url}/v1/partner/me`, 'GET', undefined, { 'x-forwarded-for': ip, ...(key === undefined ? {} : { 'x-api-key': key }) });
  return { app, counter, from: (ip: string, key?: string) => from(app, ip, key) };
}

const wrongKey = () => `ck_${randomUUID()}`;

describe('failed authentication is limited per client IP', () => {
  it('answers 429 P603 with Retry-After after AUTH_FAILURE_LIMIT wrong keys, and stops reading the partners table', async () => {
    // AUTH_CACHE_MS=0: a valid key is read from the table at every request, also while its IP is over the limit.
    const { app, counter, from } = await start({ AUTH_FAILURE_LIMIT: '5', AUTH_CACHE_MS: '0' });
    const p = await app.createPartner();
    expect((await from('203.0.113.7', p.apiKey)).status).toBe(200);

    counter.lookups = 0;
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push(await from('203.0.113.7', wrongKey()));
    for (const res of answers.slice(0, 5)) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: 'Access Denied. xo2', requestId: expect.any(String) });
    }
    for (const res of answers.slice(5)) {
      expect(res.status).toBe(429);
      expect(res.body).toMatchObject({ errorCode: 'P603', errorName: 'rate-limit-exceeded' });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    }
    expect(counter.lookups).toBe(5);
    expect((await from('203.0.113.7')).status).toBe(429); // no key at all

    // The partner's own key is still served from that IP; another IP has a budget of its own.
    for (let i = 0; i < 3; i++) expect((await from('203.0.113.7', p.apiKey)).status).toBe(200);
    expect(counter.lookups).toBe(5 + 3);
    // ... also after moving its sandbox clock, which makes this process read its key again
    const moved = await request(`${app.url}/v1/sandbox/clock/advance`, 'POST', { seconds: 60 }, { 'x-forwarded-for': '203.0.113.7', 'x-api-key': p.apiKey });
    expect(moved.status).toBe(200);
    expect((await from('203.0.113.7', p.apiKey)).status).toBe(200);
    expect((await from('198.51.100.1', wrongKey())).body).toEqual({ message: 'Access Denied. xo2', requestId: expect.any(String) });
    expect((await from('198.51.100.1')).body).toEqual({ message: 'Access Denied. xo1', requestId: expect.any(String) });

    // A valid key this process has not seen yet waits like any unknown key (no lookup for it), elsewhere it works.
    const q = await app.createPartner();
    expect((await from('203.0.113.7', q.apiKey)).status).toBe(429);
    expect((await from('198.51.100.1', q.apiKey)).status).toBe(200);
  });

  it('counts in a window: the IP may try again once RATE_LIMIT_WINDOW_MS has passed', async () => {
    const { from } = await start({ AUTH_FAILURE_LIMIT: '2', RATE_LIMIT_WINDOW_MS: '1000' });
    expect((await from('203.0.113.8', wrongKey())).status).toBe(401);
    expect((await from('203.0.113.8')).status).toBe(401);
    const over = await from('203.0.113.8', wrongKey());
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await from('203.0.113.8', wrongKey())).status).toBe(401);
  });
});

describe('wrong keys are remembered briefly', () => {
  it('reads the partners table once for a wrong key repeated within AUTH_FAILURE_CACHE_MS', async () => {
    const { counter, from } = await start({ AUTH_FAILURE_LIMIT: '1000', AUTH_FAILURE_CACHE_MS: '500' });
    const key = wrongKey();
    for (let i = 0; i < 10; i++) expect((await from('203.0.113.9', key)).body).toEqual({ message: 'Access Denied. xo2', requestId: expect.any(String) });
    expect(counter.lookups).toBe(1);
    for (let i = 0; i < 5; i++) await from('203.0.113.9'); // no key: never a lookup
    expect(counter.lookups).toBe(1);
    await new Promise((r) => setTimeout(r, 600));
    expect((await from('203.0.113.9', key)).status).toBe(401);
    expect(counter.lookups).toBe(2);
  });

  it('serves a rotated key at once and refuses the old one at once, in the rotating process', async () => {
    const { app, from } = await start({});
    const p = await app.createPartner();
    expect((await from('203.0.113.10', p.apiKey)).status).toBe(200);
    const rotated = await request(`${app.url}/admin/v1/partners/${p.id}/rotate-api-key`, 'POST', undefined, { authorization: `Bearer ${app.adminToken}` });
    expect(rotated.status).toBe(200);
    expect((await from('203.0.113.10', p.apiKey)).body).toEqual({ message: 'Access Denied. xo2', requestId: expect.any(String) });
    expect((await from('203.0.113.10', rotated.body.apiKey)).status).toBe(200);
  });
});


describe.skipIf(!redisReachable && !process.env.CI)('failed authentications with REDIS_URL', () => {
  const prefix = `centum:test:${randomUUID()}:`;
  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('are counted once for all processes', async () => {
    const env = { AUTH_FAILURE_LIMIT: '4', REDIS_URL, RATE_LIMIT_PREFIX: prefix };
    const a = await start(env);
    const b = await start(env);
    expect((await a.from('203.0.113.11', wrongKey())).status).toBe(401);
    expect((await a.from('203.0.113.11', wrongKey())).status).toBe(401);
    expect((await b.from('203.0.113.11', wrongKey())).status).toBe(401);
    expect((await b.from('203.0.113.11', wrongKey())).status).toBe(401);
    expect((await a.from('203.0.113.11', wrongKey())).status).toBe(429);
    expect((await b.from('203.0.113.11', wrongKey())).status).toBe(429);
    expect(a.counter.lookups + b.counter.lookups).toBe(4);
  });
});

describe('settings', () => {
  it('wrong keys still get 401 while Redis is unreachable (not counted, logged)', async () => {
    const { from } = await start({ AUTH_FAILURE_LIMIT: '1', REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_PREFIX: `centum:test:${randomUUID()}:` });
    for (let i = 0; i < 3; i++) expect((await from('203.0.113.12', wrongKey())).body).toEqual({ message: 'Access Denied. xo2', requestId: expect.any(String) });
  });


  it('AUTH_FAILURE_LIMIT and AUTH_FAILURE_CACHE_MS are validated, 30 and 5000 ms by default', () => {
    expect(loadConfig({ CENTUM_SECRET_KEY: 'x' })).toMatchObject({ authFailureLimit: 30, authFailureCacheMs: 5000 });
    expect(loadConfig({ CENTUM_SECRET_KEY: 'x', AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_CACHE_MS: '0' }))
      .toMatchObject({ authFailureLimit: 3, authFailureCacheMs: 0 });
    for (const env of [{ AUTH_FAILURE_LIMIT: '0' }, { AUTH_FAILURE_LIMIT: 'many' }, { AUTH_FAILURE_CACHE_MS: '-1' }, { AUTH_FAILURE_CACHE_MS: '1e9' }]) {
      expect(() => loadConfig({ CENTUM_SECRET_KEY: 'x', ...env }), JSON.stringify(env)).toThrow(ConfigError);
    }
  });
});
