import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { hasChromium, launchBrowser, screenshot, VIEWPORTS } from '../support/browser.js';
import { kycBody, uniqueId } from '../support/users.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';
import { jpeg, kycRequest, png, verificationData } from './support.js';

/**
 * The hosted verification page in a real browser, at phone and laptop width: consent, document
 * sides, selfie, the sandbox decision and the result; the status endpoint and the webhooks follow.
 * Screenshots of every step go to artifacts/screenshots/kyc/.
 */

let t: TestApp;
let partner: TestPartner;
let browser: Browser;
let receiver: Receiver;

describe.skipIf(!hasChromium)('hosted verification page (browser)', () => {
  beforeAll(async () => {
    t = await startTestApp({ CENTUM_FILES_DIR: mkdtempSync(join(tmpdir(), 'centum-kyc-page-')) });
    receiver = await startReceiver();
    partner = await t.createPartner('Acme Bank');
    expect((await partner.call('PUT', '/v1/partner/webhook-settings', { url: `${receiver.url}/hooks` })).status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await t?.close();
  });

  for (const [viewport, size] of Object.entries(VIEWPORTS)) {
    it(`goes through every step at ${viewport} width`, async () => {
      const ext = uniqueId(`page-${viewport}`);
      expect((await partner.call('POST', '/v1/user/balances/crypto-and-fiat', kycBody(ext))).status).toBe(200);
      expect((await partner.call('POST', '/v1/user/verification', verificationData(ext))).status).toBe(200);
      const created = await partner.call('POST', '/v1/kyc', kycRequest(ext, { redirectUrl: `${t.url}/health` }));
      const link = await partner.call('GET', `/v1/kyc/verification/${ext}/${created.body.verificationId}`);
      const context = await browser.newContext({ viewport: size });
      const page = await context.newPage();
      try {
        const response = await page.goto(link.body.url);
        expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Verify your identity');
        expect(await page.getByText('Sandbox: no real money moves').isVisible()).toBe(true);
        await screenshot(page, 'kyc', '1-consent');

        // Labels and the keyboard alone: the select, Tab to the consent box, Space, Tab to the button, Enter.
        await page.getByLabel('Document you will use').selectOption('ID_CARD');
        await page.getByLabel('Document you will use').focus();
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('consent');
        await page.keyboard.press('Space');
        expect(await page.getByLabel(/I agree/).isChecked()).toBe(true);
        await page.keyboard.press('Tab');
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Photograph your ID card');
        await screenshot(page, 'kyc', '2-document');

        // A file that is not an image is refused on the page, with the reason.
        await page.getByLabel('Front of the ID card').setInputFiles({ name: 'front.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
        await page.getByLabel('Back of the ID card').setInputFiles({ name: 'back.png', mimeType: 'image/png', buffer: png() });
        await page.getByRole('button', { name: 'Upload' }).click();
        expect(await page.getByRole('alert').textContent()).toContain('not a JPEG or PNG');
        await screenshot(page, 'kyc', '2b-document-refused');

        await page.getByLabel('Front of the ID card').setInputFiles({ name: 'front.jpg', mimeType: 'image/jpeg', buffer: jpeg() });
        await page.getByLabel('Back of the ID card').setInputFiles({ name: 'back.png', mimeType: 'image/png', buffer: png(64, 40, [20, 120, 60]) });
        await page.getByRole('button', { name: 'Upload' }).click();
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Take a selfie');
        expect(await page.locator('#selfie').getAttribute('capture')).toBe('user');
        await screenshot(page, 'kyc', '3-selfie');

        await page.getByLabel('Selfie').setInputFiles({ name: 'selfie.png', mimeType: 'image/png', buffer: png(48, 48, [220, 180, 150]) });
        await page.getByRole('button', { name: 'Send for verification' }).click();
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you');
        await screenshot(page, 'kyc', '4-submitted');
        expect((await partner.call('GET', `/v1/kyc/status/${ext}`)).body.attemptStatus).toBe('VERIFICATION');

        await page.getByRole('button', { name: 'Approve' }).click();
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('You are verified');
        await screenshot(page, 'kyc', '5-result');

        const status = await partner.call('GET', `/v1/kyc/status/${ext}`);
        expect(status.body).toMatchObject({ externalUserId: ext, verificationStatus: 'VERIFIED', attemptStatus: 'SUCCESSFUL', rejectionReason: null });
        const balances = await partner.call('GET', `/v1/user/balances/${ext}`);
        expect(balances.body.fiatBalances[0].iban).toBeTruthy();

        // The webhooks, delivered to the partner's server.
        await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 0 });
        const mine = () => receiver.received.filter((r) => r.json?.externalUserId === ext).map((r) => [r.path, r.json.attemptStatus ?? r.json.status]);
        expect(mine()).toEqual(expect.arrayContaining([
          ['/hooks/webhook/kyc/status', 'PENDING'], ['/hooks/webhook/kyc/status', 'VERIFICATION'], ['/hooks/webhook/kyc/status', 'SUCCESSFUL'],
          ['/hooks/webhook/user/status', 'ACTIVE'],
        ]));

        // Back to the partner; the link is spent.
        await page.getByRole('link', { name: /Return to Acme Bank/ }).click();
        await page.waitForURL(`${t.url}/health`);
        const again = await page.goto(link.body.url);
        expect(again?.status()).toBe(410);
        await screenshot(page, 'kyc', '6-link-used');
      } finally {
        await context.close();
      }
    });
  }
});
