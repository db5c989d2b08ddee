import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';

/**
 * Request ids (the Request-Id header, the error body's requestId, every log line) and the one log
 * line per request, read from the app's real logger output.
 */
const lines: Record<string, any>[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    for (const text of String(chunk).split('\n')) if (text.trim()) lines.push(JSON.parse(text));
    done();
  },
});

let t: TestApp;
let partner: TestPartner;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  t = await startTestApp({}, { logger: { level: 'info', stream: sink } });
  partner = await t.createPartner();
});
afterAll(() => t.close());

/** The log lines of one request, once its line has been written. */
async function linesOf(requestId: string) {
  for (let i = 0; i < 100 && !lines.some((l) => l.requestId === requestId && l.msg === 'request'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return lines.filter((l) => l.requestId === requestId);
}

describe('Request-Id', () => {
  it('echoes a valid Request-Id in the header, and logs one line with it', async () => {
    const res = await partner.call('GET', '/v1/partner/balances', undefined, { 'request-id': 'req_client-1.2:3' });
    expect(res.status).toBe(200);
    expect(res.headers.get('request-id')).toBe('req_client-1.2:3');
    const logged = await linesOf('req_client-1.2:3');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      msg: 'request', requestId: 'req_client-1.2:3', partnerId: partner.id, method: 'GET', route: '/v1/partner/balances', status: 200,
    });
    expect(logged[0].errorCode).toBeUndefined();
    expect(typeof logged[0].ms).toBe('number');
  });

  it('generates a UUID when the Request-Id is absent or not valid', async () => {
    const absent = await partner.call('GET', '/v1/partner/me');
    expect(absent.headers.get('request-id')).toMatch(UUID);
    for (const bad of ['x'.repeat(129), 'has space', 'semi;colon', 'é']) {
      const res = await partner.call('GET', '/v1/partner/me', undefined, { 'request-id': encodeURI(bad) === bad ? bad : encodeURIComponent(bad) });
      const id = res.headers.get('request-id');
      expect(id, bad).toMatch(UUID);
    }
    const ids = new Set(await Promise.all([1, 2, 3].map(async () => (await partner.call('GET', '/v1/partner/me')).headers.get('request-id'))));
    expect(ids.size).toBe(3);
  });

  it('puts the same id in an error body and in the log line, with the route pattern and the P-code', async () => {
    const res = await partner.call('GET', '/v1/user/balances/nobody-here', undefined, { 'request-id': 'err-check-1' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body).toMatchObject({ errorCode: 'P412', requestId: 'err-check-1' });
    expect(res.headers.get('request-id')).toBe('err-check-1');
    const [line] = await linesOf('err-check-1');
    expect(line).toMatchObject({ partnerId: partner.id, route: '/v1/user/balances/:externalUserId', status: res.status, errorCode: 'P412' });
    expect(JSON.stringify(line)).not.toContain('nobody-here'); // the pattern, not the URL
  });

  it('gives an id to every kind of error body: validation, 401, 404, the HTTP parser', async () => {
    const invalid = await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 'soon' });
    expect(invalid.body.requestId).toBe(invalid.headers.get('request-id'));
    const denied = await fetch(`${t.url}/v1/partner/me`, { headers: { 'request-id': 'denied-1' } });
    expect(await denied.json()).toEqual({ message: 'Access Denied. xo1', requestId: 'denied-1' });
    expect((await linesOf('denied-1'))[0]).toMatchObject({ status: 401, errorCode: 'xo1' });
    expect((await linesOf('denied-1'))[0].partnerId).toBeUndefined();
    const missing = await fetch(`${t.url}/nowhere`);
    const body = await missing.json();
    expect(body).toMatchObject({ errorCode: 'P600', requestId: missing.headers.get('request-id') });
    expect((await linesOf(body.requestId))[0]).toMatchObject({ status: 404, errorCode: 'P600', route: '(no route)' });

    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(t.url).port), '127.0.0.1', () => socket.write('GARBAGE / HTTP/1.1\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const header = /request-id: (\S+)/i.exec(raw)?.[1];
    expect(header).toMatch(UUID);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({ errorCode: 'P403', requestId: header });
  });

  it('keeps a replayed answer as it was: its body names the request that produced it', async () => {
    const headers = { 'idempotency-key': `k-${Date.now()}` };
    const first = await partner.call('POST', '/v1/transfer', { destinationExternalUserId: 'nobody', currency: 'eur', amount: '1' }, headers);
    expect(first.body.requestId).toBe(first.headers.get('request-id'));
    const again = await partner.call('POST', '/v1/transfer', { destinationExternalUserId: 'nobody', currency: 'eur', amount: '1' }, headers);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('request-id')).not.toBe(first.headers.get('request-id'));
    expect((await linesOf(again.headers.get('request-id')!))[0].errorCode).toBe(first.body.errorCode);
  });

  it('logs no secrets: no API key, no Idempotency-Key, no body', async () => {
    const key = `idem-secret-${Date.now()}`;
    const res = await partner.call('POST', '/v1/user/balances/crypto', {
      externalUserId: 'log-u1', email: 'secret-mail@example.com', firstName: 'Ann', lastName: 'Lee', country: 'PL',
    }, { 'idempotency-key': key, authorization: 'Bearer not-to-be-logged', 'request-id': 'secrets-1' });
    expect(res.status).toBeLessThan(300);
    expect(await linesOf('secrets-1')).toHaveLength(1);
    const all = lines.map((l) => JSON.stringify(l)).join('\n');
    for (const secret of [partner.apiKey, key, 'not-to-be-logged', 'secret-mail@example.com']) expect(all).not.toContain(secret);
    expect(lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed')).toEqual([]);
  });
});
