import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ADMIN_TOKEN, request, startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { errorsMarkdown } from '../../src/kernel/errors-doc.js';
import { rotateApiKey } from '../../src/modules/partners/service.js';

let t: TestApp;
let partner: TestPartner;

beforeAll(async () => {
  t = await startTestApp();
  partner = await t.createPartner('Platform test');
});
afterAll(() => t.close());

describe('platform endpoints', () => {
  it('reports health, with the ledger invariant on request', async () => {
    expect((await request(`${t.url}/health`, 'GET')).body).toMatchObject({ status: 'ok', database: 'ok' });
    const withLedger = await request(`${t.url}/health?ledger=true`, 'GET');
    expect(withLedger.body.ledger.balanced).toBe(true);
  });

  it('serves the OpenAPI document built from the route schemas, and the docs UI', async () => {
    const doc = (await request(`${t.url}/openapi.json`, 'GET')).body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/v1/partner/balances'].get.responses['200']).toBeDefined();
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    // The reference page (test/platform/docs-page.test.ts renders it in a browser).
    const docs = await fetch(`${t.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('src="js/scalar.js"');
  });

  it('exposes Prometheus metrics by route', async () => {
    await partner.call('GET', '/v1/partner/me');
    const text = (await request(`${t.url}/metrics`, 'GET')).body as string;
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/v1\/partner\/me",status_code="200"\} \d+/);
    expect(text).toContain('http_request_duration_seconds_bucket');
  });

  it('keeps docs/errors.md in step with the registry', () => {
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toBe(errorsMarkdown());
  });
});

describe('partner authentication', () => {
  it('answers 401 xo1 without a key and xo2 with a wrong one', async () => {
    const none = await request(`${t.url}/v1/partner/balances`, 'GET');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ message: 'Access Denied. xo1', requestId: expect.any(String) });
    const wrong = await request(`${t.url}/v1/partner/balances`, 'GET', undefined, { 'x-api-key': 'ck_wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ message: 'Access Denied. xo2', requestId: expect.any(String) });
  });

  it('accepts the header name in any case', async () => {
    const res = await request(`${t.url}/v1/partner/me`, 'GET', undefined, { 'X-API-KEY': partner.apiKey });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(partner.id);
  });

  it('returns the balances of the key owner in the documented shape', async () => {
    const res = await partner.call('GET', '/v1/partner/balances');
    expect(res.status).toBe(200);
    const [eur] = res.body.fiatBalances;
    expect(eur).toMatchObject({ amount: '0.00', name: 'eur', rate: 1, status: 'ACTIVE' });
    expect(eur.iban).toMatch(/^LT\d{18}$/);
    const btc = res.body.cryptoBalances.find((b: any) => b.name === 'btc');
    expect(btc.amount).toBe('0.00000000');
    expect(btc.wallet).toMatch(/^tb1q/);
    expect(btc.networkConfig.btc).toEqual({ mainnet: false, name: 'test', withdrawal: { feeWithdrawal: 0.0003, minWithdrawal: 0.000001 }, deposit: { minDeposit: 0 } });
    const usdc = res.body.cryptoBalances.find((b: any) => b.name === 'usdc');
    expect(usdc.amount).toBe('0.000000');
    expect(Object.keys(usdc.networkConfig)).toEqual(['ethereum', 'polygon']);
  });
});

describe('operator API', () => {
  const admin = (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) =>
    request(`${t.url}${path}`, method, body, { authorization: `Bearer ${token}` });

  it('refuses a missing or wrong operator token', async () => {
    expect((await request(`${t.url}/admin/v1/partners`, 'GET')).status).toBe(401);
    const wrong = await admin('GET', '/admin/v1/partners', undefined, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.body.errorCode).toBe('P607');
  });

  it('creates partners with secrets shown once and lists them without secrets', async () => {
    const created = await admin('POST', '/admin/v1/partners', { name: 'Acme' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), name: 'Acme', apiKey: expect.stringMatching(/^ck_/), webhookToken: expect.stringMatching(/^wh_/) });
    const listed = await admin('GET', '/admin/v1/partners');
    const acme = listed.body.partners.find((p: any) => p.id === created.body.id);
    expect(acme).toEqual({ id: created.body.id, name: 'Acme', apiKeyPrefix: created.body.apiKey.slice(0, 7), createdAt: expect.any(String) });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.apiKey);
    const [row] = await t.db.query('SELECT * FROM partners WHERE id = $1', [created.body.id]);
    expect(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(created.body.apiKey);
    expect(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(created.body.webhookToken);
  });

  it('rejects a partner without a name with P403', async () => {
    const res = await admin('POST', '/admin/v1/partners', {});
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errorCode: 'P403', errorMessage: 'name should not be empty', requestId: res.headers.get('request-id') });
  });

  it('rotates an API key: the new key works, the old one stops at once', async () => {
    const p = await t.createPartner('Rotating');
    expect((await p.call('GET', '/v1/partner/me')).status).toBe(200); // the key is now remembered
    const rotated = await admin('POST', `/admin/v1/partners/${p.id}/rotate-api-key`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.apiKey).not.toBe(p.apiKey);
    expect((await p.call('GET', '/v1/partner/me')).status).toBe(401);
    const fresh = await request(`${t.url}/v1/partner/me`, 'GET', undefined, { 'x-api-key': rotated.body.apiKey });
    expect(fresh.body.id).toBe(p.id);
  });

  it('a key rotated by another process (the CLI) stops working here once AUTH_CACHE_MS has passed', async () => {
    const p = await t.createPartner('Rotated elsewhere');
    expect((await p.call('GET', '/v1/partner/me')).status).toBe(200);
    const rotatedAt = Date.now();
    await rotateApiKey(t.db, p.id); // what `centum partner rotate-key` does, without this server knowing
    let status = 200;
    while (status === 200 && Date.now() - rotatedAt < t.config.authCacheMs + 5000) {
      status = (await p.call('GET', '/v1/partner/me')).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
  });
});
