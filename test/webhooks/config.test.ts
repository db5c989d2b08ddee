import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = { CENTUM_SECRET_KEY: 'k', CENTUM_ADMIN_TOKEN: 'admin-token-0123456789' };

describe('webhook and rate-limit settings', () => {
  it('defaults to P100\'s schedule, 5 s per attempt, private URLs only in the sandbox', () => {
    const c = loadConfig(base);
    expect(c.webhook).toEqual({ timeoutMs: 5000, retryDelaysSeconds: [8, 16, 32, 64] });
    expect(c.webhookAllowPrivate).toBe(true);
    expect(loadConfig({ ...base, CENTUM_SANDBOX: 'false' }).webhookAllowPrivate).toBe(false);
    expect(c.rateLimitPrefix).toBe('centum:rl:');
  });

  it('reads custom values', () => {
    const c = loadConfig({ ...base, WEBHOOK_TIMEOUT_MS: '800', WEBHOOK_RETRY_DELAYS: '1, 2,3', RATE_LIMIT_PREFIX: 'x:' });
    expect(c.webhook).toEqual({ timeoutMs: 800, retryDelaysSeconds: [1, 2, 3] });
    expect(loadConfig({ ...base, WEBHOOK_RETRY_DELAYS: 'none' }).webhook.retryDelaysSeconds).toEqual([]);
    expect(c.rateLimitPrefix).toBe('x:');
    expect(loadConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.1, 10.1.0.0/16' }).trustProxy).toBe('10.0.0.1, 10.1.0.0/16');
    expect(loadConfig(base).trustProxy).toBe(false);
  });

  it('refuses bad values with a message naming the variable', () => {
    for (const [name, value] of [
      ['WEBHOOK_TIMEOUT_MS', '50'], ['WEBHOOK_TIMEOUT_MS', 'soon'], ['WEBHOOK_RETRY_DELAYS', '8,x'], ['WEBHOOK_RETRY_DELAYS', '0'],
      ['WEBHOOK_RETRY_DELAYS', '8,,16'], ['WEBHOOK_ALLOW_PRIVATE', 'perhaps'], ['RATE_LIMIT_MAX', '0'], ['RATE_LIMIT_WINDOW_MS', '10'], ['TRUST_PROXY', 'everyone'],
    ]) {
      expect(() => loadConfig({ ...base, [name]: value }), `${name}=${value}`).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, [name]: value })).toThrow(name);
    }
  });
});
