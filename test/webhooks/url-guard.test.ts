import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitEvent } from '../../src/outbox/events.js';
import { isPrivateAddress } from '../../src/modules/webhooks/url-guard.js';
import { startTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'false' });
});
afterAll(() => t.close());

describe('webhook URLs on private networks (WEBHOOK_ALLOW_PRIVATE=false)', () => {
  it('refuses loopback, private, link-local and metadata addresses with P650 and keeps the old URL', async () => {
    const p = await t.createPartner();
    expect((await p.call('PUT', '/v1/partner/webhook-settings', { url: 'https://93.184.215.14/hooks' })).status).toBe(200);
    for (const url of [
      'http://127.0.0.1:8080', 'http://localhost/hooks', 'http://10.1.2.3', 'http://172.20.0.1', 'http://192.168.1.10',
      'http://169.254.169.254/latest', 'http://[::1]:3000', 'http://[fd00::1]', 'http://[::ffff:127.0.0.1]', 'http://0.0.0.0',
      'http://100.64.0.1', 'http://2130706433',
    ]) {
      const res = await p.call('PUT', '/v1/partner/webhook-settings', { url });
      expect([res.status, res.body.errorCode], url).toEqual([400, 'P650']);
    }
    expect((await p.call('GET', '/v1/partner/webhook-settings')).body.url).toBe('https://93.184.215.14/hooks');
  });

  it('checks the destination again at send time (a name may resolve elsewhere later)', async () => {
    const p = await t.createPartner();
    // As if the name had resolved to a public address when saved: write the URL behind the API's back.
    await t.db.query(`INSERT INTO webhook_settings (partner_id, url) VALUES ($1, 'http://127.0.0.1:9')`, [p.id]);
    await t.db.tx((q) => emitEvent(q, p.id, 'user.status', { externalUserId: 'u', status: 'ACTIVE' }));
    await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 0 });
    const [d] = (await p.call('GET', '/v1/partner/webhook-deliveries')).body.deliveries;
    expect(d.attempts[0]).toMatchObject({ status: 'FAILED', statusCode: null });
    expect(d.attempts[0].error).toMatch(/private network/);
  });

  it('classifies addresses', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '192.168.0.1', '172.31.255.255', '169.254.1.1', '::1', 'fe80::1', 'fc00::1', '::ffff:10.0.0.1', '::', 'junk']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });

  it('classifies every IPv6 form of an IPv4 address by what it reaches, in any notation', () => {
    for (const a of [
      '::127.0.0.1', '::7f00:1', '::8.8.8.8', // IPv4-compatible (deprecated ::/96), whatever it embeds
      '::ffff:7f00:1', '0:0:0:0:0:ffff:127.0.0.1', '::ffff:a9fe:a9fe', '::ffff:100.64.0.1', // IPv4-mapped
      '64:ff9b::7f00:1', '64:ff9b::10.0.0.1', '64:ff9b::169.254.169.254', // NAT64 well-known prefix
      '64:ff9b:1::a00:1', '::ffff:0:7f00:1', // local-use NAT64, IPv4-translated
      '2002:7f00:1::1', '2002:808:808::1', // 6to4, whatever it embeds
      '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
      'fec0::1', '::2', '100::1', '2001:db8::1', '3fff::1', 'ff02::1', '4000::1', 'fe80::1%eth0', '192.88.99.1', '255.255.255.255',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['::ffff:808:808', '64:ff9b::808:808', '64:ff9b::8.8.8.8', '2001:200::1', '2a00:1450:4001:80b::200e']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });
});
