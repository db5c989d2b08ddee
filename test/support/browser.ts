import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Headless Debian Chromium for page tests (`.ci/run` installs the `chromium` package). Tests that
 * need it use `describe.skipIf(!hasChromium)` only where CI is known to have it; `.ci/run` fails if
 * it is missing, so a skipped browser test cannot pass CI unnoticed.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

/** Where page tests write screenshots for a person to look at (named in the README; not committed). */
export const SCREENSHOT_DIR = join(process.cwd(), 'artifacts', 'screenshots');

export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  laptop: { width: 1280, height: 800 },
} as const;

/** Saves a full-page screenshot as artifacts/screenshots/<area>/<name>-<viewport>.png and returns its path. */
export async function screenshot(page: Page, area: string, name: string): Promise<string> {
  const dir = join(SCREENSHOT_DIR, area);
  mkdirSync(dir, { recursive: true });
  const size = page.viewportSize();
  const viewport = size && size.width < 600 ? 'phone' : 'laptop';
  const path = join(dir, `${name}-${viewport}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
