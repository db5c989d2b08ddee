import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { kycBody, uniqueId } from '../support/users.js';
import { drainJobs } from '../../src/jobs/queue.js';
import { idCardParts, kycRequest, png, upload } from './support.js';

/** Without the sandbox: no banner, no decision buttons, no decision endpoints; https redirect URLs only; links on CENTUM_PUBLIC_URL. */

let t: TestApp;
let partner: TestPartner;

beforeAll(async () => {
  t = await startTestApp({
    CENTUM_SANDBOX: 'false', CENTUM_FILES_DIR: mkdtempSync(join(tmpdir(), 'centum-kyc-prod-')), CENTUM_PUBLIC_URL: 'https://verify.example',
    CENTUM_KYC_REVIEW_SECONDS: '0',
  });
  partner = await t.createPartner('Live partner');
});
afterAll(() => t.close());

describe('hosted page without the sandbox', () => {
  it('shows no sandbox banner or buttons and ignores a decision posted to it', async () => {
    const ext = uniqueId('live');
    await partner.call('POST', '/v1/user/balances/crypto-and-fiat', kycBody(ext));
    expect((await partner.call('POST', '/v1/kyc', kycRequest(ext, { redirectUrl: 'http://partner.example/' }))).body.errorMessage)
      .toContain('redirectUrl must be an https URL');
    const vid = (await partner.call('POST', '/v1/kyc', kycRequest(ext, { redirectUrl: 'https://partner.example/' }))).body.verificationId;
    const link = (await partner.call('GET', `/v1/kyc/verification/${ext}/${vid}`)).body.url as string;
    expect(link.startsWith('https://verify.example/kyc/verify/')).toBe(true);
    const local = link.replace('https://verify.example', t.url);
    const post = async (fields: Record<string, string>, files: Record<string, Buffer> = {}) => {
      const fd = new FormData();
      for (const [k, v] of Object.entries(fields)) fd.append(k, v);
      for (const [k, v] of Object.entries(files)) fd.append(k, new Blob([new Uint8Array(v)], { type: 'image/png' }), `${k}.png`);
      return (await fetch(local, { method: 'POST', body: fd })).text();
    };
    const first = await (await fetch(local)).text();
    expect(first).not.toContain('Sandbox');
    await post({ step: 'consent', consent: 'yes', documentType: 'PASSPORT' });
    await post({ step: 'document' }, { front: png() });
    const submitted = await post({ step: 'selfie' }, { selfie: png() });
    expect(submitted).toContain('Your documents were sent');
    expect(submitted).not.toContain('Approve');
    expect(submitted).not.toContain('Sandbox');
    expect(await post({ step: 'decide', decision: 'APPROVE' })).toContain('Your documents were sent');
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body.attemptStatus).toBe('VERIFICATION');
    expect((await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: ext, decision: 'APPROVE' })).status).toBe(404);
  });
});

describe('simulated provider without the sandbox', () => {
  it('approves after the review delay whatever the name: magic values are for sandboxes', async () => {
    const ext = uniqueId('live');
    await partner.call('POST', '/v1/user/balances/crypto-and-fiat', kycBody(ext, { lastName: 'Fraud' }));
    const res = await upload(t, partner, `/v1/user/kyc-files/${ext}`, idCardParts().map((p) => ({ ...p, filename: `unreadable-${p.name}.png` })));
    expect(res.body.status).toBe('ADDED');
    await drainJobs(t.db, t.app.ctx.jobs, partner.id);
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body).toMatchObject({ verificationStatus: 'VERIFIED', attemptStatus: 'SUCCESSFUL' });
  });
});
