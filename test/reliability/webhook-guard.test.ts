import { isIP } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emitEvent } from '../../src/outbox/events.js';
import type { ResolveHost } from '../../src/modules/webhooks/url-guard.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { answer, startReceiver, type Receiver } from '../webhooks/receiver.js';

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
  receiver.respond = answer(200);
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
    expect(res.body.errorMessage).toMatch(/private network/);
  });
});

describe('the connection goes to the address the guard checked', () => {
  it('a name answering a public address to the check cannot send the delivery to loopback (DNS rebinding)', async () => {
    const p = await t.createPartner();
    // The name is public when saved and when checked before the attempt, loopback to any later lookup
    // (the system resolver also answers loopback for localhost, which is what fetch used to ask).
    guardedDns.answers = [PUBLIC, PUBLIC, '127.0.0.1'];
    const url = `http://localhost:${new URL(receiver.url).port}/hooks`;
    expect((await p.call('PUT', '/v1/partner/webhook-settings', { url })).status).toBe(200);

    const attempt = await deliverOne(t, p);
    expect(receiver.received).toHaveLength(0);
    expect(guardedDns.lookups).toEqual(['localhost', 'localhost']); // saved, then checked: never resolved again
    expect(attempt).toMatchObject({ status: 'FAILED', statusCode: null });
    // The connection to the checked address fails (closed network) or hangs (open one), nothing else.
    expect(attempt.error).toMatch(new RegExp(`${PUBLIC.replaceAll('.', '\\.')}|timeout`));
  });

  it('under WEBHOOK_ALLOW_PRIVATE too: one lookup, its answer is where the request lands, Host keeps the name', async () => {
    const p = await sandbox.createPartner();
    const port = new URL(receiver.url).port;
    sandboxDns.answers = ['127.0.0.1', '192.0.2.1']; // a second lookup would send it nowhere
    expect((await p.call('PUT', '/v1/partner/webhook-settings', { url: `http://partner.test:${port}/hooks` })).status).toBe(200);

    const attempt = await deliverOne(sandbox, p);
    expect(attempt).toMatchObject({ status: 'SUCCEEDED', statusCode: 200, error: null });
    expect(sandboxDns.lookups).toEqual(['partner.test']);
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].headers.host).toBe(`partner.test:${port}`);
    expect(receiver.received[0].path).toBe('/hooks/webhook/user/status');
  });
});

describe('the pinned call keeps what fetch did', () => {
  it('does not follow a redirect (a failure), and reads a large answer only up to its status', async () => {
    const p = await sandbox.createPartner();
    await p.call('PUT', '/v1/partner/webhook-settings', { url: `${receiver.url}/hooks` });

    receiver.respond = (_req, res) => res.writeHead(302, { location: '/elsewhere' }).end();
    expect(await deliverOne(sandbox, p)).toMatchObject({ status: 'FAILED', statusCode: 302, error: 'HTTP 302' });
    expect(receiver.received.map((r) => r.path)).toEqual(['/hooks/webhook/user/status']);

    receiver.respond = (_req, res) => res.writeHead(200).end('x'.repeat(1024 * 1024));
    expect(await deliverOne(sandbox, p)).toMatchObject({ status: 'SUCCEEDED', statusCode: 200, error: null });
  });
});
