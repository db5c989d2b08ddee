import { isIP } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emitEvent } from '../../src/outbox/events.js';
import type { ResolveHost } from '../../src/modules/webhooks/url-guard.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';

/**
 * Finding 7: IPv6 forms of private IPv4 addresses were accepted as webhook URLs, and the guard's DNS
 * answer was not the one the connection used (fetch resolved the name again: DNS rebinding).
 */

/** A DNS server under the test's control: each lookup takes the next answer; the last one repeats. */
function scriptedDns() {
  const dns: { answers: string[]; lookups: string[]; resolve: ResolveHost } = {
    answers: [],
    lookups: [],
    resolve: async (hostname) => {
      dns.lookups.push(hostname);
      const address = dns.answers.length > 1 ? dns.answers.shift()! : dns.answers[0];
      return [{ address, family: isIP(address) }];
    },
  };
  return dns;
}

/** Public for the guard; unreachable from a closed network (and nothing listens there for us anyway). */
const PUBLIC = '93.184.215.14';

const guardedDns = scriptedDns();
const sandboxDns = scriptedDns();
let t: TestApp;
let sandbox: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  const env = { WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_RETRY_DELAYS: 'none' };
  t = await startTestApp({ ...env, WEBHOOK_ALLOW_PRIVATE: 'false' }, { resolveHost: guardedDns.resolve });
  sandbox = await startTestApp({ ...env, WEBHOOK_ALLOW_PRIVATE: 'true' }, { resolveHost: sandboxDns.resolve });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
  await sandbox?.close();
});
beforeEach(() => {
  receiver.received.length = 0;
  for (const dns of [guardedDns, sandboxDns]) dns.lookups.length = 0;
});

/** One event, its single attempt run, and that attempt as the delivery log shows it. */
async function deliverOne(app: TestApp, p: TestPartner) {
  await app.db.tx((q) => emitEvent(q, p.id, 'user.status', { externalUserId: 'u', status: 'ACTIVE' }));
  await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 0 });
  const [d] = (await p.call('GET', '/v1/partner/webhook-deliveries')).body.deliveries;
  return d.attempts[0];
}

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

  it('refuses a name that resolves to an IPv4-compatible loopback address', async () => {
    const p = await t.createPartner();
    guardedDns.answers = ['::7f00:1'];
    const res = await p.call('PUT', '/v1/partner/webhook-settings', { url: 'http://partner.test/hooks' });
    expect([res.status, res.body.errorCode]).toEqual([400, 'P650']);
  });
});
