import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasApprovedProofOfAddress } from '../../src/modules/kyc/index.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { createUser, kycBody, uniqueId } from '../support/users.js';
import { advance, events, idCardParts, jpeg, kycRequest, pdf, png, upload, verificationData } from './support.js';

let t: TestApp;
let partner: TestPartner;
let other: TestPartner;
const filesDir = mkdtempSync(join(tmpdir(), 'centum-kyc-files-'));

beforeAll(async () => {
  t = await startTestApp({ CENTUM_FILES_DIR: filesDir, CENTUM_KYC_REVIEW_SECONDS: '300', CENTUM_POA_REVIEW_SECONDS: '3600' });
  partner = await t.createPartner('KYC partner');
  other = await t.createPartner('Other partner');
});
afterAll(() => t.close());

async function kycUser(lastName = 'Wisniewska', extra: Record<string, unknown> = {}) {
  const externalUserId = uniqueId('kyc');
  const res = await partner.call('POST', '/v1/user/balances/crypto-and-fiat', kycBody(externalUserId, { lastName, ...extra }));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return externalUserId;
}

const eur = async (p: TestPartner, externalUserId: string) =>
  (await p.call('GET', `/v1/user/balances/${externalUserId}`)).body.fiatBalances[0];

const userStatus = async (externalUserId: string) =>
  (await events(t, partner.id, 'user.status', externalUserId)).map((e) => e.status);

describe('Method A: Add KYC File, then Add User Verification', () => {
  it('takes an ID card by part names, reviews it on the sandbox clock, and activates the user once with an IBAN', async () => {
    const ext = await kycUser();
    const res = await upload(t, partner, `/v1/user/kyc-files/${ext}`, idCardParts());
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ externalUserId: ext, documentType: 'ID_CARD', status: 'ADDED' });
    expect(res.body.files.map((f: any) => [f.side, f.contentType])).toEqual([['FRONT', 'image/png'], ['BACK', 'image/png'], ['SELFIE', 'image/png']]);
    expect(res.body.files[0].sha256).toBe(createHash('sha256').update(idCardParts()[0].data!).digest('hex'));
    expect(await events(t, partner.id, 'kyc_file.status', ext)).toEqual([{ path: '/webhook/kyc-files/status', externalUserId: ext, status: 'ADDED' }]);

    let status = await partner.call('GET', `/v1/kyc/status/${ext}`);
    expect(status.body).toMatchObject({ externalUserId: ext, verificationStatus: 'NOT_VERIFIED', attemptStatus: 'VERIFICATION', rejectionReason: null });
    // A second upload while the provider checks: one open verification per user.
    expect((await upload(t, partner, `/v1/user/kyc-files/${ext}`, idCardParts())).body.errorCode).toBe('P672');

    await advance(partner, 200); // well before the review (real time passes too)
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body.attemptStatus).toBe('VERIFICATION');
    await advance(partner, 101);
    status = await partner.call('GET', `/v1/kyc/status/${ext}`);
    expect(status.body).toMatchObject({ verificationStatus: 'VERIFIED', attemptStatus: 'SUCCESSFUL' });
    // Identity passed, data missing: still waiting, no IBAN.
    expect(await eur(partner, ext)).toMatchObject({ iban: null, status: 'WAITING_TO_BE_ACTIVATED' });

    const verified = await partner.call('POST', '/v1/user/verification', verificationData(ext));
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body).toEqual({ externalUserId: ext, status: 'ACTIVE', verificationStatus: 'VERIFIED' });
    const balance = await eur(partner, ext);
    expect(balance.status).toBe('ACTIVE');
    expect(balance.iban).toMatch(/^[A-Z]{2}\d{2}/);
    expect(await userStatus(ext)).toEqual(['WAITING_FOR_VERIFICATION', 'ACTIVE']);
    const again = await partner.call('POST', '/v1/user/verification', verificationData(ext));
    expect(again.body).toMatchObject({ errorCode: 'P676', errorName: 'user-verification-exists' });
    expect(await userStatus(ext)).toEqual(['WAITING_FOR_VERIFICATION', 'ACTIVE']);
    const kycEvents = await events(t, partner.id, 'kyc_verification.status', ext);
    expect(kycEvents.map((e) => e.attemptStatus)).toEqual(['VERIFICATION', 'SUCCESSFUL']);
    expect(kycEvents[0].path).toBe('/webhook/kyc/status');
  });

  it('takes a passport as a repeated files part (document, selfie), data first, and activates on the approval', async () => {
    const ext = await kycUser();
    const data = await partner.call('POST', '/v1/user/verification', { ...verificationData(ext), documentType: 'PASSPORT' });
    expect(data.body).toEqual({ externalUserId: ext, status: 'WAITING_FOR_VERIFICATION', verificationStatus: null });
    const res = await upload(t, partner, `/v1/user/kyc-files/${ext}`, [
      { name: 'files', data: jpeg(), filename: 'passport.jpg', type: 'image/jpeg' },
      { name: 'files', data: png(), filename: 'selfie.png' },
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.documentType).toBe('PASSPORT');
    expect(res.body.files.map((f: any) => [f.side, f.contentType])).toEqual([['FRONT', 'image/jpeg'], ['SELFIE', 'image/png']]);
    const decided = await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: ext, decision: 'APPROVE' });
    expect(decided.body).toMatchObject({ verificationStatus: 'VERIFIED', attemptStatus: 'SUCCESSFUL' });
    expect((await eur(partner, ext)).status).toBe('ACTIVE');
    expect(await userStatus(ext)).toEqual(['WAITING_FOR_VERIFICATION', 'ACTIVE']);
    // The automatic review that was queued finds the attempt decided and does nothing.
    await advance(partner, 400);
    expect(await userStatus(ext)).toEqual(['WAITING_FOR_VERIFICATION', 'ACTIVE']);
  });

  it('needs front, back and selfie for an ID card (P671) and a documentType from the list (P403)', async () => {
    const ext = await kycUser();
    const missing = await upload(t, partner, `/v1/user/kyc-files/${ext}`, [{ name: 'front', data: png() }, { name: 'selfie', data: png() }, { name: 'documentType', value: 'ID_CARD' }]);
    expect(missing.body).toMatchObject({ errorCode: 'P671' });
    expect(missing.body.errorMessage).toContain('back');
    const badType = await upload(t, partner, `/v1/user/kyc-files/${ext}`, [...idCardParts(), { name: 'documentType', value: 'LIBRARY_CARD' }]);
    expect(badType.body.errorCode).toBe('P403');
    const pdfSelfie = await upload(t, partner, `/v1/user/kyc-files/${ext}`, [
      { name: 'front', data: png() }, { name: 'back', data: png() }, { name: 'selfie', data: pdf(), filename: 'me.pdf', type: 'application/pdf' },
    ]);
    expect(pdfSelfie.body.errorCode).toBe('P426');
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body.errorCode).toBe('P445');
  });

  it('magic values: "unreadable" in a file name is ERROR at once, "noface" in the last name a rejection with retry', async () => {
    const ext = await kycUser();
    const res = await upload(t, partner, `/v1/user/kyc-files/${ext}`, [
      { name: 'front', data: png(), filename: 'unreadable-front.png' }, { name: 'back', data: png() }, { name: 'selfie', data: png() },
    ]);
    expect(res.body.status).toBe('ERROR');
    expect((await events(t, partner.id, 'kyc_file.status', ext)).map((e) => e.status)).toEqual(['ERROR']);
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body).toMatchObject({ attemptStatus: 'REJECTED_BY_PROVIDER', rejectionReason: 'UNREADABLE_DOCUMENT' });
    // Retry allowed: a new upload opens a new attempt.
    expect((await upload(t, partner, `/v1/user/kyc-files/${ext}`, idCardParts())).status).toBe(201);

    const noFace = await kycUser('Noface');
    expect((await upload(t, partner, `/v1/user/kyc-files/${noFace}`, idCardParts())).status).toBe(201);
    await advance(partner, 301);
    expect((await partner.call('GET', `/v1/kyc/status/${noFace}`)).body).toMatchObject({
      verificationStatus: 'NOT_VERIFIED', attemptStatus: 'REJECTED_BY_PROVIDER', rejectionReason: 'NO_FACE_FOUND',
    });
    expect(await userStatus(noFace)).toEqual(['WAITING_FOR_VERIFICATION']);
  });
});

describe('Method B: Creating KYC Verification, Redirect, Get KYC Status', () => {
  it('checks the conditional fields and takes the enums as the spec spells them', async () => {
    const ext = await kycUser();
    const salary = await partner.call('POST', '/v1/kyc', kycRequest(ext, { occupation: undefined }));
    expect(salary.body.errorCode).toBe('P403');
    expect(salary.body.errorMessage).toContain('occupation is required');
    const business = await partner.call('POST', '/v1/kyc', kycRequest(ext, { incomeSource: 'BUSINESS_ACTIVITY', occupation: undefined, additionalInfo: undefined }));
    expect(business.body.errorMessage).toContain('taxId is required');
    const other_ = await partner.call('POST', '/v1/kyc', kycRequest(ext, { incomeSource: 'TENANCY', occupation: undefined, additionalInfo: undefined }));
    expect(other_.body.errorMessage).toContain('additionalInfo is required');
    const typo = await partner.call('POST', '/v1/kyc', kycRequest(ext, { openAccountReason: 'INVESTMENTS_OR_CRYPTOCURRENCIES' }));
    expect(typo.body.errorCode).toBe('P403');
    const created = await partner.call('POST', '/v1/kyc', kycRequest(ext, { incomeSource: 'BUSINESS_ACTIVITY', taxId: 'PL5252248481', occupation: undefined, additionalInfo: undefined }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ externalUserId: ext, verificationStatus: 'NOT_VERIFIED', attemptStatus: 'PENDING' });
    const second = await partner.call('POST', '/v1/kyc', kycRequest(ext));
    expect(second.body).toMatchObject({ errorCode: 'P672', errorName: 'kyc-verification-open' });
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body).toMatchObject({ verificationId: created.body.verificationId, attemptStatus: 'PENDING' });
  });

  it('goes from the link through the page without JavaScript to an ACTIVE user; the link is spent after the decision', async () => {
    const ext = await kycUser();
    const created = await partner.call('POST', '/v1/kyc', kycRequest(ext, { redirectUrl: 'https://partner.example/done' }));
    const vid = created.body.verificationId;
    const link = await partner.call('GET', `/v1/kyc/verification/${ext}/${vid}`);
    expect(link.status).toBe(200);
    expect(link.body.url).toMatch(new RegExp(`^${t.url}/kyc/verify/[A-Za-z0-9_-]{43}$`));
    const page = await fetch(link.body.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('Sandbox');
    expect(html).toContain('I agree');
    const post = async (parts: [string, string | Buffer][]) => {
      const fd = new FormData();
      for (const [name, value] of parts) {
        if (typeof value === 'string') fd.append(name, value);
        else fd.append(name, new Blob([new Uint8Array(value)], { type: 'image/png' }), `${name}.png`);
      }
      const res = await fetch(link.body.url, { method: 'POST', body: fd });
      return { status: res.status, text: await res.text() };
    };
    const noConsent = await post([['step', 'consent'], ['documentType', 'ID_CARD']]);
    expect(noConsent.status).toBe(400);
    expect(noConsent.text).toContain('Tick the box');
    expect((await post([['step', 'consent'], ['documentType', 'ID_CARD'], ['consent', 'yes']])).text).toContain('Back of the ID card');
    const wrong = await post([['step', 'document'], ['front', Buffer.from('not an image at all')], ['back', png()]]);
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('not a JPEG or PNG');
    expect((await post([['step', 'document'], ['front', png()], ['back', png()]])).text).toContain('Take a selfie');
    const submitted = await post([['step', 'selfie'], ['selfie', png()]]);
    expect(submitted.text).toContain('Your documents were sent');
    expect(submitted.text).toContain('https://partner.example/done');
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body.attemptStatus).toBe('VERIFICATION');
    expect((await partner.call('POST', '/v1/user/verification', verificationData(ext))).body.status).toBe('WAITING_FOR_VERIFICATION');
    const approved = await post([['step', 'decide'], ['decision', 'APPROVE']]);
    expect(approved.text).toContain('You are verified');
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body).toMatchObject({ verificationStatus: 'VERIFIED', attemptStatus: 'SUCCESSFUL' });
    expect((await eur(partner, ext)).iban).toBeTruthy();
    expect(await userStatus(ext)).toEqual(['WAITING_FOR_VERIFICATION', 'ACTIVE']);
    const files = await t.db.query<{ side: string }>('SELECT side FROM kyc_files WHERE kyc_verification_id = $1 ORDER BY side', [vid]);
    expect(files.map((f) => f.side)).toEqual(['BACK', 'FRONT', 'SELFIE']);
    // Reused link: refused.
    const reused = await fetch(link.body.url);
    expect(reused.status).toBe(410);
    expect(await reused.text()).toContain('already been used');
    expect((await post([['step', 'decide'], ['decision', 'REJECT']])).status).toBe(410);
    expect((await partner.call('GET', `/v1/kyc/verification/${ext}/${vid}`)).body.errorCode).toBe('P674');
  });

  it('on the page: a resubmission sends the user back to the document step, a rejection shows the reason', async () => {
    const ext = await kycUser();
    const vid = (await partner.call('POST', '/v1/kyc', kycRequest(ext, { documentType: 'PASSPORT' }))).body.verificationId;
    const url = (await partner.call('GET', `/v1/kyc/verification/${ext}/${vid}`)).body.url;
    const post = async (fields: Record<string, string>, files: Record<string, Buffer> = {}) => {
      const fd = new FormData();
      for (const [k, v] of Object.entries(fields)) fd.append(k, v);
      for (const [k, v] of Object.entries(files)) fd.append(k, new Blob([new Uint8Array(v)], { type: 'image/png' }), `${k}.png`);
      const res = await fetch(url, { method: 'POST', body: fd });
      return { status: res.status, text: await res.text() };
    };
    expect((await post({ step: 'consent', consent: 'yes', documentType: 'PASSPORT' })).text).toContain('Photo page of the passport');
    const tooBig = await post({ step: 'document' }, { front: Buffer.concat([png(), Buffer.alloc(5 * 1024 * 1024)]) });
    expect(tooBig.status).toBe(400);
    expect(tooBig.text).toContain('too large');
    await post({ step: 'document' }, { front: png() });
    await post({ step: 'selfie' }, { selfie: png() });
    await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: ext, decision: 'RESUBMIT', rejectionReason: 'GLARE' });
    const again = await (await fetch(url)).text();
    expect(again).toContain('Please try again: glare');
    expect(again).toContain('Photo page of the passport');
    await post({ step: 'document' }, { front: png() });
    await post({ step: 'selfie' }, { selfie: png() });
    const rejected = await post({ step: 'decide', decision: 'REJECT' });
    expect(rejected.text).toContain('We could not verify you');
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body).toMatchObject({ attemptStatus: 'REJECTED_BY_PROVIDER', rejectionReason: 'DOCUMENT_NOT_ACCEPTED' });
    const kinds = (await events(t, partner.id, 'kyc_verification.status', ext)).map((e) => e.attemptStatus);
    expect(kinds).toEqual(['PENDING', 'VERIFICATION', 'PENDING', 'VERIFICATION', 'REJECTED_BY_PROVIDER']);
  });

  it('refuses an expired link and a link replaced by a newer one', async () => {
    const ext = await kycUser();
    const vid = (await partner.call('POST', '/v1/kyc', kycRequest(ext))).body.verificationId;
    const first = (await partner.call('GET', `/v1/kyc/verification/${ext}/${vid}`)).body.url;
    const second = (await partner.call('GET', `/v1/kyc/verification/${ext}/${vid}`)).body;
    expect(second.url).not.toBe(first);
    expect((await fetch(first)).status).toBe(404);
    expect((await fetch(second.url)).status).toBe(200);
    await advance(partner, 3601);
    const expired = await fetch(second.url);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('expired');
    expect((await fetch(`${t.url}/kyc/verify/${'A'.repeat(43)}`)).status).toBe(404);
    expect((await partner.call('GET', `/v1/kyc/verification/${ext}/00000000-0000-4000-8000-000000000000`)).body.errorCode).toBe('P673');
  });

  it('sandbox decisions: resubmission, rejection with and without retry, expiry', async () => {
    const ext = await kycUser();
    await upload(t, partner, `/v1/user/kyc-files/${ext}`, idCardParts());
    const resubmit = await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: ext, decision: 'RESUBMIT', rejectionReason: 'GLARE' });
    expect(resubmit.body).toMatchObject({ attemptStatus: 'PENDING', rejectionReason: 'GLARE' });
    expect((await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: ext, decision: 'RESUBMIT' })).body.errorCode).toBe('P674');
    // The files of the resubmission go to the same attempt.
    const again = await upload(t, partner, `/v1/user/kyc-files/${ext}`, idCardParts());
    expect(again.body.verificationId).toBe(resubmit.body.verificationId);
    const rejected = await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: ext, decision: 'REJECT', rejectionReason: 'NO_FACE_FOUND' });
    expect(rejected.body).toMatchObject({ attemptStatus: 'REJECTED_BY_PROVIDER', rejectionReason: 'NO_FACE_FOUND' });
    expect((await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: ext, decision: 'APPROVE' })).body.errorCode).toBe('P674');
    // Retry allowed: a new hosted verification can be opened; rejecting it without retry rejects the user.
    expect((await partner.call('POST', '/v1/kyc', kycRequest(ext))).status).toBe(201);
    await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: ext, decision: 'REJECT', rejectionReason: 'FRAUDULENT_DOCUMENT', retryAllowed: false });
    expect(await userStatus(ext)).toEqual(['WAITING_FOR_VERIFICATION', 'REJECTED']);
    expect((await partner.call('POST', '/v1/kyc', kycRequest(ext))).body.errorCode).toBe('P617');

    const active = await kycUser();
    await upload(t, partner, `/v1/user/kyc-files/${active}`, idCardParts());
    await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: active, decision: 'APPROVE' });
    await partner.call('POST', '/v1/user/verification', verificationData(active));
    const expired = await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: active, decision: 'EXPIRE' });
    expect(expired.body).toMatchObject({ verificationStatus: 'EXPIRED' });
    expect((await partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: active, decision: 'EXPIRE' })).body.errorCode).toBe('P674');
    // A lapsed verification may be redone; the user stays ACTIVE and is not activated twice.
    expect((await upload(t, partner, `/v1/user/kyc-files/${active}`, idCardParts())).status).toBe(201);
    await advance(partner, 301);
    expect((await partner.call('GET', `/v1/kyc/status/${active}`)).body.verificationStatus).toBe('VERIFIED');
    expect(await userStatus(active)).toEqual(['WAITING_FOR_VERIFICATION', 'ACTIVE']);
  });

  it('keeps the sandbox kyc-decision shortcut', async () => {
    const ext = await kycUser();
    const res = await partner.call('POST', '/v1/sandbox/kyc-decision', { externalUserId: ext, decision: 'APPROVED' });
    expect(res.body).toMatchObject({ status: 'ACTIVE' });
    expect((await partner.call('POST', '/v1/kyc', kycRequest(ext))).body.errorCode).toBe('P617');
  });
});

describe('uploads', () => {
  it('judges the type by the bytes: a PNG named .pdf and sent as application/pdf is P426', async () => {
    const ext = await kycUser();
    const res = await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: png(), filename: 'statement.pdf', type: 'application/pdf' }]);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errorCode: 'P426', errorName: 'invalid-file-type' });
    const text = await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: Buffer.from('hello'), filename: 'a.txt', type: 'text/plain' }]);
    expect(text.body.errorCode).toBe('P426');
  });

  it('a 6 MB file is P440 with HTTP 400, a 4th file P670, a JSON body P677', async () => {
    const ext = await kycUser();
    const big = Buffer.concat([png(), Buffer.alloc(6 * 1024 * 1024, 1)]);
    const res = await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: big }]);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errorCode: 'P440', errorName: 'file-too-large' });
    const four = await upload(t, partner, `/v1/user/poa-files/${ext}`, [1, 2, 3, 4].map(() => ({ name: 'files', data: png() })));
    expect(four.status).toBe(400);
    expect(four.body).toMatchObject({ errorCode: 'P670', errorName: 'too-many-files' });
    const kycFour = await upload(t, partner, `/v1/user/kyc-files/${ext}`, [...idCardParts(), { name: 'files', data: png() }]);
    expect(kycFour.body.errorCode).toBe('P670');
    expect((await partner.call('POST', `/v1/user/poa-files/${ext}`, { files: [] })).body.errorCode).toBe('P677');
    expect(await events(t, partner.id, 'poa_verification.status', ext)).toEqual([]);
  });

  it('stores the files sealed: the file on disk is not the upload, and its SHA-256 is kept', async () => {
    const ext = await kycUser();
    const marker = `MARKER-${uniqueId()}`;
    const parts = idCardParts(marker);
    const res = await upload(t, partner, `/v1/user/kyc-files/${ext}`, parts);
    expect(res.status).toBe(201);
    const rows = await t.db.query<{ id: string; storage_key: string; sha256: string; size: number }>(
      "SELECT f.id, f.storage_key, f.sha256, f.size FROM kyc_files f JOIN users u ON u.id = f.user_id WHERE u.external_user_id = $1 ORDER BY f.side", [ext],
    );
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const onDisk = readFileSync(join(filesDir, row.storage_key));
      expect(onDisk.includes(Buffer.from(marker))).toBe(false);
      expect(onDisk.subarray(0, 8).equals(png().subarray(0, 8))).toBe(false);
      expect(onDisk.length).toBe(row.size + 28); // IV and tag around AES-GCM ciphertext of the same length
      expect(parts.some((p) => createHash('sha256').update(p.data!).digest('hex') === row.sha256)).toBe(true);
    }
  });

  it('an Idempotency-Key replays the same files and refuses other files (P601)', async () => {
    const ext = await kycUser();
    const key = { 'idempotency-key': uniqueId('idem') };
    const poa = [{ name: 'files', data: pdf(), filename: 'bill.pdf', type: 'application/pdf' }];
    const first = await upload(t, partner, `/v1/user/poa-files/${ext}`, poa, key);
    expect(first.status).toBe(201);
    const replay = await upload(t, partner, `/v1/user/poa-files/${ext}`, poa, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.poaVerificationId).toBe(first.body.poaVerificationId);
    const changed = await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ ...poa[0], data: Buffer.concat([pdf(), Buffer.from('x')]) }], key);
    expect(changed.body.errorCode).toBe('P601');
    expect((await events(t, partner.id, 'poa_verification.status', ext)).map((e) => e.status)).toEqual(['WAITING']);
  });

  it("purges a deleted user's files", async () => {
    const ext = await kycUser();
    await upload(t, partner, `/v1/user/kyc-files/${ext}`, idCardParts());
    const [user] = await t.db.query<{ id: string }>('SELECT id FROM users WHERE partner_id = $1 AND external_user_id = $2', [partner.id, ext]);
    expect(readdirSync(join(filesDir, user.id))).toHaveLength(3);
    expect((await partner.call('DELETE', `/v1/user/${ext}`)).status).toBe(200);
    await advance(partner, 1);
    const left = await t.db.query('SELECT 1 FROM kyc_files WHERE user_id = $1', [user.id]);
    expect(left).toHaveLength(0);
    expect(existsSync(join(filesDir, user.id)) ? readdirSync(join(filesDir, user.id)) : []).toEqual([]);
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body.errorCode).toBe('P610');
    expect((await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: png() }])).body.errorCode).toBe('P610');
  });
});

describe('Add POA File', () => {
  it('WAITING, then 202 P211 while under review, a review on the clock, P447 once approved; the extended tier follows', async () => {
    const ext = await kycUser();
    const [user] = await t.db.query<{ id: string }>('SELECT id FROM users WHERE partner_id = $1 AND external_user_id = $2', [partner.id, ext]);
    const res = await upload(t, partner, `/v1/user/poa-files/${ext}`, [
      { name: 'files', data: pdf(), filename: 'bill.pdf', type: 'application/pdf' }, { name: 'files', data: jpeg(), filename: 'bill.jpg', type: 'image/jpeg' },
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ externalUserId: ext, status: 'WAITING' });
    const pending = await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: png() }]);
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ errorCode: 'P211' });
    expect(await hasApprovedProofOfAddress(t.db, user.id)).toBe(false);
    await advance(partner, 3601);
    expect(await hasApprovedProofOfAddress(t.db, user.id)).toBe(true);
    const done = await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: png() }]);
    expect(done.body).toMatchObject({ errorCode: 'P447' });
    const poaEvents = await events(t, partner.id, 'poa_verification.status', ext);
    expect(poaEvents).toEqual([
      { path: '/webhook/poa-verification/status', externalUserId: ext, status: 'WAITING' },
      { path: '/webhook/poa-verification/status', externalUserId: ext, status: 'APPROVED' },
    ]);
  });

  it('QUESTIONED and REJECTED take new files; sandbox decisions P460 without a POA and P675 when none waits; magic file names', async () => {
    const ext = await kycUser();
    expect((await partner.call('POST', '/v1/sandbox/poa/decision', { externalUserId: ext, status: 'APPROVED' })).body.errorCode).toBe('P460');
    await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: png() }]);
    expect((await partner.call('POST', '/v1/sandbox/poa/decision', { externalUserId: ext, status: 'QUESTIONED' })).body).toEqual({ externalUserId: ext, status: 'QUESTIONED' });
    expect((await partner.call('POST', '/v1/sandbox/poa/decision', { externalUserId: ext, status: 'APPROVED' })).body.errorCode).toBe('P675');
    expect((await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: png(), filename: 'reject-me.png' }])).status).toBe(201);
    await advance(partner, 3601);
    expect((await events(t, partner.id, 'poa_verification.status', ext)).map((e) => e.status)).toEqual(['WAITING', 'QUESTIONED', 'WAITING', 'REJECTED']);
    expect((await upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: png() }])).status).toBe(201);
  });
});

describe('who may call', () => {
  it('refuses unknown users (P412), non-KYC users (P614) and another partner\'s user on every endpoint', async () => {
    const ext = await kycUser();
    const vid = (await partner.call('POST', '/v1/kyc', kycRequest(ext))).body.verificationId;
    const nonKyc = uniqueId('nonkyc');
    await createUser(partner, nonKyc, 'NON_KYC');
    expect((await partner.call('POST', '/v1/kyc', kycRequest(nonKyc))).body.errorCode).toBe('P614');
    expect((await partner.call('GET', `/v1/kyc/status/${uniqueId()}`)).body.errorCode).toBe('P412');
    const calls: (() => Promise<{ status: number; body: any }>)[] = [
      () => upload(t, other, `/v1/user/kyc-files/${ext}`, idCardParts()),
      () => upload(t, other, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: png() }]),
      () => other.call('POST', '/v1/kyc', kycRequest(ext)),
      () => other.call('GET', `/v1/kyc/verification/${ext}/${vid}`),
      () => other.call('GET', `/v1/kyc/status/${ext}`),
      () => other.call('POST', '/v1/user/verification', verificationData(ext)),
      () => other.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: ext, decision: 'APPROVE' }),
      () => other.call('POST', '/v1/sandbox/poa/decision', { externalUserId: ext, status: 'APPROVED' }),
    ];
    for (const call of calls) {
      const res = await call();
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.errorCode).toBe('P412');
    }
    expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body.attemptStatus).toBe('PENDING');
    expect(await t.db.query('SELECT 1 FROM kyc_files f JOIN users u ON u.id = f.user_id WHERE u.external_user_id = $1', [ext])).toHaveLength(0);
  });
});

describe('activation exactly once', () => {
  it('when the approval and the verification data arrive at the same moment', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => kycUser()));
    for (const ext of users) expect((await upload(t, partner, `/v1/user/kyc-files/${ext}`, idCardParts())).status).toBe(201);
    await Promise.all(users.flatMap((ext) => [
      partner.call('POST', '/v1/sandbox/kyc/decision', { externalUserId: ext, decision: 'APPROVE' }),
      partner.call('POST', '/v1/user/verification', verificationData(ext)),
    ]));
    for (const ext of users) {
      expect(await userStatus(ext)).toEqual(['WAITING_FOR_VERIFICATION', 'ACTIVE']);
      expect((await eur(partner, ext)).iban).toBeTruthy();
    }
    const ibans = await Promise.all(users.map(async (ext) => (await eur(partner, ext)).iban));
    expect(new Set(ibans).size).toBe(users.length);
  });
});

describe('one at a time', () => {
  it('two POA uploads at once: one is WAITING, the other 202 P211; two verifications at once: one opens, the other P672', async () => {
    const ext = await kycUser();
    const answers = await Promise.all([1, 2].map(() => upload(t, partner, `/v1/user/poa-files/${ext}`, [{ name: 'files', data: png() }])));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 202]);
    const opened = await Promise.all([1, 2].map(() => partner.call('POST', '/v1/kyc', kycRequest(ext))));
    expect(opened.map((a) => a.body.errorCode ?? a.status).sort()).toEqual([201, 'P672'].sort());
  });
});
