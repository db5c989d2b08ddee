import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.js';
import { hasChromium, launchBrowser, screenshot, VIEWPORTS } from '../support/browser.js';

/**
 * The API reference at /docs (src/platform/api-reference.ts) in headless Chromium: it renders the
 * partner operations from /openapi.json, loads nothing from another origin, and breaks no rule of
 * its Content-Security-Policy.
 */
describe('API reference at /docs', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => app?.close());

  it('answers with its security headers and serves the renderer from this server', async () => {
    const res = await fetch(`${app.url}/docs/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:/);
    const page = await res.text();
    expect(page).not.toMatch(/<script[^>]+src="https?:/);
    const script = await fetch(`${app.url}/docs/js/scalar.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    // The stock Swagger UI is gone.
    expect((await fetch(`${app.url}/docs/json`)).status).toBe(404);
  });

  describe.skipIf(!hasChromium)('in a browser', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(async () => browser?.close());

    for (const [viewport, size] of Object.entries(VIEWPORTS)) {
      it(`renders the partner operations, offline and within its CSP (${viewport})`, async () => {
        const context = await browser.newContext({ viewport: size });
        const page = await context.newPage();
        const foreign: string[] = [];
        const violations: string[] = [];
        page.on('request', (r) => {
          if (!r.url().startsWith(app.url) && !r.url().startsWith('data:')) foreign.push(r.url());
        });
        page.on('console', (m) => {
          if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
        });
        await page.goto(`${app.url}/docs/`);
        // The guides come first (the document's description): quickstart, errors, webhooks.
        await page.getByRole('heading', { name: 'Quickstart' }).first().waitFor({ timeout: 30_000 });
        for (const guide of ['Errors', 'Webhooks']) await page.getByRole('heading', { name: guide, exact: true }).first().waitFor();
        // The partner API is listed before the webhook events, the sandbox and the operator API.
        const outline = (await page.locator('body').textContent()) ?? '';
        const order = ['Partner API', 'Internal transfers', 'Webhook events', 'Sandbox', 'Operator'].map((t) => outline.indexOf(t));
        expect(order.every((at) => at >= 0)).toBe(true);
        expect([...order].sort((a, b) => a - b)).toEqual(order);
        await screenshot(page, 'docs', 'reference');
        // A partner operation, rendered from the contract.
        await page.goto(`${app.url}/docs/#tag/internal-transfers/POST/v1/transfer`);
        const heading = page.getByRole('heading', { name: 'Create a Transfer' }).first();
        await heading.waitFor({ timeout: 30_000 });
        await expect.poll(() => heading.isVisible(), { timeout: 30_000 }).toBe(true);
        const text = (await page.locator('body').textContent()) ?? '';
        expect(text).toContain('Idempotency-Key');
        expect(text).toContain('P433');
        await screenshot(page, 'docs', 'create-transfer');
        expect(foreign).toEqual([]);
        expect(violations).toEqual([]);
        await context.close();
      });
    }
  });
});
