import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';

let t: TestApp;
let partner: TestPartner;

beforeAll(async () => {
  t = await startTestApp({ BODY_LIMIT: '2048' });
  partner = await t.createPartner();
});
afterAll(() => t.close());

describe('P100 error format for bad input', () => {
  it('answers malformed JSON with P403, never a 500', async () => {
    const res = await partner.call('POST', '/v1/sandbox/clock/advance', '{"seconds": ');
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe('P403');
    expect(res.body.errorName).toBeUndefined();
  });

  it('joins every schema failure into one P403 message', async () => {
    const res = await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 'soon', extra: 1 });
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe('P403');
    expect(res.body.errorMessage).toContain('seconds must be integer');
    expect(res.body.errorMessage).toContain('property extra should not exist');
  });

  it('answers a wrong content type with 415 P605', async () => {
    const res = await partner.call('POST', '/v1/sandbox/clock/advance', 'seconds=1', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ errorCode: 'P605', errorName: 'unsupported-media-type' });
  });

  it('answers an oversized body with 413 P604', async () => {
    const res = await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 1, pad: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ errorCode: 'P604', errorName: 'payload-too-large' });
  });

  it('refuses amounts beyond the per-request ceiling with P403 on every money endpoint', async () => {
    const iban = (await partner.call('GET', '/v1/partner/balances')).body.fiatBalances[0].iban;
    const huge = '99999999999999999999';
    const calls = [
      partner.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: huge }),
      partner.call('POST', '/v1/transfer', { destinationExternalUserId: 'nobody', currency: 'eur', amount: huge }),
      partner.call('POST', '/v1/partner/crypto-withdrawal', {
        currency: 'btc', amount: huge, walletAddress: 'tb1qlpgz9lgq7957vrcmwfunqa5xuhm60qe05rjlpc', name: 'A B', walletType: 'NON_CUSTODIAL', receiverType: 'NATURAL',
      }),
      partner.call('GET', `/v1/partner/exchange/get-lock?currencyFrom=eur&currencyTo=btc&amount=${huge}`),
      partner.call('POST', '/v1/partner/sepa-transfer', { amount: huge, currency: 'eur', destinationIban: 'DE89370400440532013000', transferTitle: 'X' }),
    ];
    for (const res of await Promise.all(calls)) {
      expect([res.status, res.body.errorCode], JSON.stringify(res.body)).toEqual([400, 'P403']);
      expect(res.body.errorMessage).toMatch(/too large/);
    }
    expect((await partner.call('GET', '/v1/partner/balances')).body.fiatBalances[0].amount).toBe('0.00');
  });

  it('refuses NUL characters anywhere in a request with P403 (PostgreSQL text cannot hold them)', async () => {
    const body = { externalUserId: 'a\u0000b', email: 'a@b.co', firstName: 'A', lastName: 'B', country: 'PL' };
    const created = await partner.call('POST', '/v1/user/balances/crypto', body);
    expect([created.status, created.body.errorCode]).toEqual([400, 'P403']);
    const path = await partner.call('GET', '/v1/user/balances/a%00b');
    expect([path.status, path.body.errorCode]).toEqual([400, 'P403']);
    const admin = await fetch(`${t.url}/admin/v1/partners`, {
      method: 'POST', body: JSON.stringify({ name: 'x\u0000' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
    });
    expect(admin.status).toBe(400);
    expect((await admin.json()).errorCode).toBe('P403');
  });

  it("answers requests Node's HTTP parser refuses in P100's format", async () => {
    const res = await fetch(`${t.url}/v1/partner/me`, { headers: { 'x-api-key': partner.apiKey, 'x-pad': 'x'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(await res.json()).toEqual({ errorCode: 'P403', errorMessage: 'Request headers are too large', requestId: res.headers.get('request-id') });
  });

  it('answers an unknown route with 404 P600', async () => {
    const res = await partner.call('GET', '/v1/partner/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.errorCode).toBe('P600');
  });

  it('turns an unexpected failure into P500 with a request id and no internals', async () => {
    // The database driver fails the way a broken connection would, on one statement only.
    const faulty = await startTestApp({}, {
      wrapDb: (db) => ({
        ...db,
        query: (sql, params) =>
          sql.includes('clock_offset_ms = clock_offset_ms +')
            ? Promise.reject(new Error('connection reset by peer at 10.0.0.7 (internal-secret-detail)'))
            : db.query(sql, params),
      }),
    });
    try {
      const p = await faulty.createPartner();
      const res = await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 5 });
      expect(res.status).toBe(400);
      expect(res.body.errorCode).toBe('P500');
      expect(res.body.errorName).toBe('unknown-exception');
      expect(res.body.errorMessage).toMatch(/request id [0-9a-f-]{36}/);
      expect(JSON.stringify(res.body)).not.toMatch(/internal-secret-detail|10\.0\.0\.7|at .*\.ts/);
    } finally {
      await faulty.close();
    }
  });
});
