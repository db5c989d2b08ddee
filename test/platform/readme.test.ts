import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * The README's quickstart runs as pasted: its shell block, with the two variables it asks to set
 * (API, KEY) given real values, run by bash against a started server. Every curl must succeed
 * (HTTP 2xx): the block is run with a `curl` that fails on an error status, and `set -euo pipefail`.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

function quickstart(): string {
  const readme = readFileSync('README.md', 'utf8');
  const block = /<!-- quickstart[^\n]*-->\n```sh\n([\s\S]*?)\n```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no <!-- quickstart --> shell block');
  return block;
}

function bash(script: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    proc.on('exit', (code) => resolve({ code, out }));
  });
}

describe('README quickstart', () => {
  it('runs as pasted against a started server', async () => {
    const block = quickstart();
    const lines = block.split('\n');
    // The reader sets exactly these two; everything else is pasted as is.
    expect(lines.filter((l) => /^[A-Z]+=(?!\$\(|\()/.test(l)).map((l) => l.split('=')[0])).toEqual(['API', 'KEY']);
    expect(block).not.toMatch(/localhost|127\.0\.0\.1:\d+\/v1/); // every URL through $API
    const calls = lines.filter((l) => /\bcurl /.test(l));
    for (const line of calls.filter((l) => /content-type: application\/json/.test(l) || l.includes('"${JSON[@]}"'))) {
      expect(line, 'a JSON content type only with a body').toMatch(/ -d /);
    }
    for (const line of calls.filter((l) => / -d /.test(l))) expect(line, 'a body with its JSON content type').toContain('"${JSON[@]}"');
    const p = await t.createPartner('Quickstart');
    const script = [
      'set -euo pipefail',
      'curl() { command curl --fail-with-body "$@"; echo; }',
      ...lines.map((l) => l.replace(/^API=.*/, `API=${t.url}`).replace(/^KEY=.*/, `KEY=${p.apiKey}`)),
    ].join('\n');
    const { code, out } = await bash(script);
    expect(code, out).toBe(0);
    expect(out).not.toMatch(/"errorCode"/);

    const balances = (await p.call('GET', '/v1/user/balances/u-1')).body;
    const eur = balances.fiatBalances.find((b: any) => b.name === 'eur');
    const btc = balances.cryptoBalances.find((b: any) => b.name === 'btc');
    expect(eur.amount).toBe('29.00'); // 100 in, 50 exchanged, 20 paid out with its 1.00 fee
    expect(Number(btc.amount)).toBeGreaterThan(0);
    const types = (await p.call('GET', '/v1/user/transaction-history/u-1')).body.transactions.map((l: any) => l.type);
    expect(types.some((x: string) => /sepa/i.test(x)), types.join()).toBe(true); // the payout settled
    expect(types.some((x: string) => /exchange/i.test(x)), types.join()).toBe(true);
  }, 120_000);

  it('links only inside the repository (or to the local server)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    expect(targets.length).toBeGreaterThan(3);
    for (const target of targets) {
      if (/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(target) || target.startsWith('#')) continue;
      expect(/^[a-z]+:/i.test(target) || target.startsWith('..'), `${target} points outside the repository`).toBe(false);
      expect(existsSync(target.split('#')[0]), `${target} exists in the repository`).toBe(true);
    }
  });
});
