import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';

/**
 * Every route of /openapi.json, given malformed input: path parameters that are not ids, bodies of
 * the wrong type or with wrong-typed fields, junk query strings. None may answer 5xx or P500.
 */
let t: TestApp;
let partner: TestPartner;
beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner('Malformed input');
});
afterAll(() => t.close());

const PATH_VALUES = ['x', '00000000-0000-0000-0000-000000000000', '%E2%82%AC%20%27%22', '-1'];
const BODIES: unknown[] = [
  {}, [], 'text', 42, null,
  { amount: -1, currency: 'zzz', externalUserId: 7, lockId: 'nope', iban: 12, seconds: -5 },
  { amount: '1e309', currency: ['eur'], sourceExternalUserId: {}, destinationExternalUserId: [] },
  { amount: '0.000000001', currency: 'EUR', currencyFrom: 'eur', currencyTo: 'eur', network: 'mars' },
  { email: 'not-an-email', birthDate: '2999-99-99', country: 'ZZ', url: 'ftp://x', decision: 'MAYBE' },
];
const QUERIES = ['', '?limit=0', '?limit=abc&cursor=%%%', '?currencyFrom=x&currencyTo=&amount=-1', '?currency=eur&network=mars&from=yesterday'];

describe('malformed input never gives a 5xx', () => {
  it('holds for every route in the OpenAPI document', async () => {
    const doc = (await partner.call('GET', '/openapi.json')).body;
    const failures: string[] = [];
    let calls = 0;
    for (const [template, methods] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(methods)) {
        const paths = template.includes('{') ? PATH_VALUES.map((v) => template.replace(/\{[^}]+\}/g, v)) : [template];
        for (const path of paths) {
          const variants = method === 'get' || method === 'delete'
            ? QUERIES.map((query) => ({ url: path + query, body: undefined }))
            : BODIES.map((body) => ({ url: path, body }));
          for (const { url, body } of variants) {
            const headers: Record<string, string> = url.startsWith('/admin') ? { authorization: `Bearer ${t.adminToken}` } : {};
            const res = await partner.call(method.toUpperCase(), url, body === undefined ? undefined : JSON.stringify(body), headers);
            calls++;
            if (res.status >= 500 || res.body?.errorCode === 'P500') {
              failures.push(`${method.toUpperCase()} ${url} ${JSON.stringify(body)} -> ${res.status} ${JSON.stringify(res.body)}`);
            }
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(300);
    expect(failures).toEqual([]);
  });
});
