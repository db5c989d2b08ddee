import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * Finding 7: IPv6 forms of private IPv4 addresses were accepted as webhook URLs.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'false' });
});
afterAll(() => t?.close());

describe('webhook URLs written as IPv6 forms of private addresses (WEBHOOK_ALLOW_PRIVATE=false)', () => {
  it('are refused with P650 on PUT /v1/partner/webhook-settings', async () => {
    const p = await t.createPartner();
    for (const url of [
      'http://[::127.0.0.1]:8080', 'http://[::7f00:1]/hooks', 'http://[::10.0.0.1]', // IPv4-compatible
      'http://[::ffff:7f00:1]', 'http://[0:0:0:0:0:ffff:169.254.169.254]/latest', // IPv4-mapped, hex and long forms
      'http://[64:ff9b::127.0.0.1]', 'http://[64:ff9b::a9fe:a9fe]', 'http://[64:ff9b:1::a00:1]', // NAT64
      'http://[::ffff:0:7f00:1]', // IPv4-translated
      'http://[2002:7f00:1::1]', 'http://[2002:a00:1::]', // 6to4
      'http://[2001::1]', 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]', // Teredo
      'http://[fec0::1]', 'http://[::]', 'http://[::2]', 'http://[100::1]', 'http://[3fff::1]',
    ]) {
      const res = await p.call('PUT', '/v1/partner/webhook-settings', { url });
      expect([res.status, res.body.errorCode], url).toEqual([400, 'P650']);
    }
    expect((await p.call('GET', '/v1/partner/webhook-settings')).body.url).toBeNull();
  });

  it('accepts the same forms of a public address', async () => {
    const p = await t.createPartner();
    for (const url of ['http://[::ffff:808:808]/hooks', 'http://[64:ff9b::808:808]/hooks', 'https://[2606:4700::1111]/hooks']) {
      const res = await p.call('PUT', '/v1/partner/webhook-settings', { url });
      expect([res.status, res.body.url], url).toEqual([200, url]);
    }
  });
});
