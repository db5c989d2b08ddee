import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateSdkSources, ROOT } from '../../sdk/scripts/generate.js';

/** The SDK's generated sources match the committed contract and registries; the package builds. */
describe('SDK generated sources and build', () => {
  it('the committed generated files are what `npm run sdk:generate` makes now', async () => {
    const sources = await generateSdkSources();
    expect(Object.keys(sources).length).toBeGreaterThan(0);
    for (const [file, text] of Object.entries(sources)) {
      const committed = existsSync(path.join(ROOT, file)) ? readFileSync(path.join(ROOT, file), 'utf8') : '(missing)';
      expect(committed === text, `${file} is stale: run \`npm run sdk:generate\` and commit it`).toBe(true);
    }
  });

  it('every P-code of the server is typed in the SDK', async () => {
    const { ERRORS } = await import('../../src/kernel/errors.js');
    const { ERROR_CODES } = await import('../../sdk/src/index.js');
    expect(Object.keys(ERROR_CODES)).toEqual(Object.keys(ERRORS));
  });

  it('`npm run sdk:build` emits the ES module and declarations its package.json exports', async () => {
    execFileSync('npm', ['run', '--silent', 'sdk:build'], { cwd: ROOT, stdio: 'pipe' });
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'sdk/package.json'), 'utf8'));
    const entry = pkg.exports['.'];
    for (const file of [entry.import, entry.types, pkg.types]) expect(existsSync(path.join(ROOT, 'sdk', file)), file).toBe(true);
    expect(pkg.dependencies['openapi-fetch']).toMatch(/^\d+\.\d+\.\d+$/);
    const built = await import(pathToFileURL(path.join(ROOT, 'sdk', entry.import)).href);
    expect(Object.keys(built)).toEqual(expect.arrayContaining(['createCentum', 'CentumError', 'verifyWebhook', 'CentumWebhookError']));
    const client = built.createCentum({ baseUrl: 'http://127.0.0.1:1', apiKey: 'ck_x' });
    expect(typeof client.POST).toBe('function');
    expect(readFileSync(path.join(ROOT, 'sdk', entry.types), 'utf8')).toContain('createCentum');
  }, 120_000);
});
