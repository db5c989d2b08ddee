import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { advance, amounts } from '../support/balances.js';
import { hasChromium, launchBrowser, screenshot, VIEWPORTS } from '../support/browser.js';
import { createLink, details, pagePath, pay } from './support.js';

/**
 * A payer in a real browser: opens the hosted checkout, chooses a coin, reads the amount and the
 * address from the page, pays through the sandbox (less first, then the rest) and watches the page
 * follow the link by itself (polling) through confirming, awaiting completion and completed. The
 * QR code is decoded from a screenshot of it. Every state is photographed at phone and laptop width.
 */

// jsqr is CommonJS whose types declare an ES default: the default import is the function itself at run time.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;
const AREA = 'payment-links';
const WAIT_MS = 20_000;
let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed' });
  if (hasChromium) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t.close();
});

async function photograph(page: Page, name: string) {
  for (const viewport of [VIEWPORTS.phone, VIEWPORTS.laptop]) {
    await page.setViewportSize(viewport);
    await screenshot(page, AREA, name);
  }
}

/** Decodes the QR code as the page shows it (a screenshot of the <img>). */
async function decodeQr(page: Page): Promise<string | undefined> {
  const png = PNG.sync.read(await page.locator('#qr').screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

describe.skipIf(!hasChromium)('payer page in a browser', () => {
  let p: TestPartner;

  it('takes a payer from the choice of coin to the final screen', async () => {
    p = await t.createPartner('Browser');
    await p.call('PUT', '/v1/partner/checkout-settings', {
      displayName: 'Acme Shop', logoUrl: null, accentColor: '#0a6b44', expiryMinutes: 60, underpaymentWindowMinutes: 30,
      paymentTolerancePercent: 0, successUrl: 'https://shop.example.com/thanks', cancelUrl: 'https://shop.example.com/cart',
    });
    const link = await createLink(p, { amount: '100.00', description: 'Order #42' }, '/v1/payment-link/checkout');
    const page = await browser.newPage({ viewport: VIEWPORTS.phone });
    await page.goto(`${t.url}${pagePath(link.url)}`);
    await expect.poll(() => page.title()).toBe('Pay 100.00 EUR to Acme Shop');
    expect(await page.locator('.banner').textContent()).toContain('Sandbox');
    await photograph(page, '1-choose');

    await page.getByLabel('USDC on Polygon (Amoy)').check();
    await page.getByRole('button', { name: 'Show amount and address' }).click();
    await page.waitForSelector('#pay-amount');
    const amount = (await page.locator('#pay-amount').textContent())!.trim();
    const address = (await page.locator('#pay-address').textContent())!.trim();
    expect(amount).toBe('119.300617');
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(await page.getByRole('button', { name: 'Copy amount' }).isVisible()).toBe(true);
    expect(await page.locator('#countdown').textContent()).toMatch(/^1[45]:\d\d$/);
    const uri = `ethereum:0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582@80002/transfer?address=${address}&uint256=119300617`;
    expect(await decodeQr(page)).toBe(uri);
    expect(await page.locator('#wallet-link').getAttribute('href')).toBe(uri);
    await photograph(page, '2-quote');

    // Less than due first: 60 USDC (50.29 EUR).
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '60');
    await page.getByText(/Confirming 0 of 32/).waitFor({ timeout: WAIT_MS });
    await advance(p, 20);
    await page.getByText(/Confirming ([1-9]|[12]\d|3[01]) of 32/).waitFor({ timeout: WAIT_MS });
    await photograph(page, '3-confirming');
    await advance(p, 300);
    await page.getByRole('heading', { name: 'Send the remaining 49.71 EUR' }).waitFor({ timeout: WAIT_MS });
    const rest = (await page.locator('#pay-amount').textContent())!.trim();
    expect(rest).toBe('59.304337');
    expect(await decodeQr(page)).toBe(`ethereum:0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582@80002/transfer?address=${address}&uint256=59304337`);
    await photograph(page, '4-send-the-remaining');

    await pay(p, link.paymentLinkId, 'usdc', 'polygon', rest);
    await page.getByText(/Confirming 0 of 32/).waitFor({ timeout: WAIT_MS });
    await advance(p, 3600);
    await page.getByRole('heading', { name: 'Payment complete' }).waitFor({ timeout: WAIT_MS });
    expect(await page.getByRole('link', { name: 'Return to Acme Shop' }).getAttribute('href')).toBe('https://shop.example.com/thanks');
    await photograph(page, '5-completed');
    expect((await details(p, link.paymentLinkId)).status).toBe('COMPLETED');
    expect((await amounts(p)).eur).toBe('100.00');
    await page.close();
  });

  it('shows an expired link, and the BIP21 code of a bitcoin quote', async () => {
    const link = await createLink(p, { amount: '12.00', expiryMinutes: 5 });
    const page = await browser.newPage({ viewport: VIEWPORTS.phone });
    await page.goto(`${t.url}${pagePath(link.url)}`);
    await page.getByLabel('BTC on Bitcoin (testnet)').check();
    await page.getByRole('button', { name: 'Show amount and address' }).click();
    await page.waitForSelector('#pay-amount');
    const amount = (await page.locator('#pay-amount').textContent())!.trim();
    const address = (await page.locator('#pay-address').textContent())!.trim();
    expect(await decodeQr(page)).toBe(`bitcoin:${address}?amount=${amount.replace(/0+$/, '')}`);
    await photograph(page, '6-bitcoin-quote');
    await advance(p, 301);
    await page.getByRole('heading', { name: 'This payment link has expired' }).waitFor({ timeout: WAIT_MS });
    await photograph(page, '7-expired');
    await page.close();
  });
});
