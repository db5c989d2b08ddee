import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from '../support/app.js';
import { kill, startServer, type Child } from '../jobs/process.js';

/**
 * `npm start` on a fresh machine: no DATABASE_URL, no settings. The server creates the embedded
 * database in DATA_DIR, prints a demo partner's key, and that key works at once.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'centum-startup-'));
const children: Child[] = [];
afterAll(async () => {
  for (const child of children) await kill(child, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('first start on the embedded database', () => {
  it('prints a ready API key that works, and keeps its data across a restart', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, CENTUM_DEMO_PARTNER: 'true', CENTUM_ADMIN_TOKEN: '', LOG_LEVEL: 'warn' };
    const first = await startServer(env);
    children.push(first);
    const key = /x-api-key:\s+(\S+)/.exec(first.output())?.[1];
    expect(key, first.output()).toMatch(/^ck_/);
    expect(first.output()).toMatch(/Operator token for this run/);
    const health = await request(`${first.url}/health`, 'GET');
    expect(health.body).toMatchObject({ status: 'ok', database: 'ok' });
    const balances = await request(`${first.url}/v1/partner/balances`, 'GET', undefined, { 'x-api-key': key! });
    expect(balances.status).toBe(200);
    expect(balances.body.fiatBalances[0].iban).toMatch(/^LT/);
    await kill(first, 'SIGTERM');

    const second = await startServer(env);
    children.push(second);
    expect(second.output()).not.toMatch(/x-api-key:\s+ck_/); // the demo partner exists already
    const again = await request(`${second.url}/v1/partner/me`, 'GET', undefined, { 'x-api-key': key! });
    expect(again.body.name).toBe('Demo partner');
  }, 180_000); // two first starts of PGlite: slow on a busy machine
});
