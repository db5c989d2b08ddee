import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { kycBody, uniqueId } from '../support/users.js';
import { idCardParts, kycRequest, png, upload } from './support.js';

/** Nothing of an upload (bytes, file names) and no page token reaches the logs, even at trace level. */

let t: TestApp;
let partner: TestPartner;
const lines: string[] = [];

beforeAll(async () => {
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(chunk.toString()); done(); } });
  t = await startTestApp({ CENTUM_FILES_DIR: mkdtempSync(join(tmpdir(), 'centum-kyc-logs-')) }, {
    logger: { level: 'trace', stream, redact: ['req.headers["x-api-key"]', 'req.headers.authorization', 'req.headers["idempotency-key"]'] },
  });
  partner = await t.createPartner('Logs');
});
afterAll(() => t.close());

describe('logs', () => {
  it('hold no file content, file name or page token', async () => {
    const ext = uniqueId('logs');
    await partner.call('POST', '/v1/user/balances/crypto-and-fiat', kycBody(ext));
    const marker = `SECRETMARK${Date.now()}`;
    const ok = await upload(t, partner, `/v1/user/kyc-files/${ext}`, idCardParts(marker).map((p) => ({ ...p, filename: `${marker}-${p.name}.png` })));
    expect(ok.status).toBe(201);
    const refused = await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: png(8, 8, [1, 2, 3], marker), filename: `${marker}.pdf`, type: 'application/pdf' }]);
    expect(refused.body.errorCode).toBe('P426');
    const other = uniqueId('logs');
    await partner.call('POST', '/v1/user/balances/crypto-and-fiat', kycBody(other));
    const vid = (await partner.call('POST', '/v1/kyc', kycRequest(other))).body.verificationId;
    const url: string = (await partner.call('GET', `/v1/kyc/verification/${other}/${vid}`)).body.url;
    const token = url.split('/').pop()!;
    expect((await fetch(url)).status).toBe(200);
    const fd = new FormData();
    fd.append('step', 'consent');
    fd.append('consent', 'yes');
    fd.append('documentType', 'PASSPORT');
    expect((await fetch(url, { method: 'POST', body: fd })).status).toBe(200);

    const logged = lines.join('');
    expect(lines.length).toBeGreaterThan(5); // the logger did write (trace level)
    expect(logged).toContain('/v1/user/kyc-files/');
    expect(logged).not.toContain(marker);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(Buffer.from(marker).toString('base64'));
  });
});
