import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveAddress } from '../../src/rails/chains/addresses.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { amounts, fund } from '../support/balances.js';
import { createUser } from '../support/users.js';

/**
 * Bad input is refused as input (400, P403 or the endpoint's own code for an unknown currency),
 * never as an unknown exception (P500), and never repaired into something that moves money:
 * no type coercion of bodies, plain decimals only, finite integers only, own catalogue keys only.
 */
let t: TestApp;
let p: TestPartner;
const EVM_DEST = deriveAddress('outside-world', 'evm', 1).address;
const DEST_IBAN = 'DE89370400440532013000';
const TABLES = ['transfers', 'sepa_transfers', 'crypto_withdrawals', 'crypto_deposits', 'sepa_deposits', 'fx_locks', 'exchanges',
  'orders', 'users', 'wallet_addresses', 'postings', 'events', 'jobs', 'webhook_settings'];

beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed' });
  p = await t.createPartner('Strict input');
  await createUser(p, 'alice');
  await fund(p, 'eur', '100.00');
  await fund(p, 'eth', '1');
});
afterAll(() => t.close());

/** Everything a refused request must leave as it was: balances, the sandbox clock, the partner's rows. */
async function state() {
  const [{ clock_offset_ms }] = await t.db.query<{ clock_offset_ms: bigint }>('SELECT clock_offset_ms FROM partners WHERE id = $1', [p.id]);
  const rows: Record<string, number> = {};
  for (const table of TABLES) {
    const [{ n }] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE partner_id = $1`, [p.id]);
    rows[table] = n;
  }
  return { partner: await amounts(p), alice: await amounts(p, 'alice'), clock: clock_offset_ms, rows };
}

/** Sends each request and expects 400 with `codes` (one for all, or one per request); nothing changes. */
async function expectRefused(requests: [string, string, unknown?][], codes: string | string[]) {
  const before = await state();
  const wrong: string[] = [];
  for (const [i, [method, path, body]] of requests.entries()) {
    const res = await p.call(method, path, body);
    const expected = typeof codes === 'string' ? codes : codes[i];
    if (res.status !== 400 || res.body?.errorCode !== expected) {
      wrong.push(`${method} ${path} ${typeof body === 'string' ? body : JSON.stringify(body)} -> ${res.status} ${JSON.stringify(res.body)} (want ${expected})`);
    }
  }
  expect(wrong).toEqual([]);
  expect(await state()).toEqual(before);
}

const transfer = (amount: unknown, to = 'alice') => ['POST', '/v1/transfer', { destinationExternalUserId: to, currency: 'eur', amount }] as [string, string, unknown];

describe('currency and network slugs are looked up among real codes only', () => {
  const SLUGS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
  const requestsFor = (slug: string): [string, string, unknown?][] => [
    ['GET', `/v1/partner/exchange/get-lock?currencyFrom=${slug}&currencyTo=eur&amount=1`],
    ['GET', `/v1/partner/exchange/get-lock?currencyFrom=eur&currencyTo=${slug}&amount=1`],
    ['GET', `/v1/exchange/get-lock/alice?currencyFrom=${slug}&currencyTo=eur&amount=1`],
    ['GET', `/v1/partner/exchange/rate?currencyFrom=eur&currencyTo=${slug}&amount=1`],
    ['POST', '/v1/partner/exchange', { amount: '1', currencyFrom: slug, currencyTo: 'eur', lockId: '00000000-0000-0000-0000-000000000000' }],
    ['POST', '/v1/transfer', { destinationExternalUserId: 'alice', currency: slug, amount: '1' }],
    ['POST', '/v1/partner/sepa-transfer', { amount: '1', currency: slug, destinationIban: DEST_IBAN, transferTitle: 'Invoice 1' }],
    ['POST', '/v1/partner/crypto-withdrawal',
      { currency: slug, amount: '0.01', walletAddress: EVM_DEST, name: 'Maria', walletType: 'NON_CUSTODIAL', receiverType: 'NATURAL' }],
    ['GET', `/v1/partner/crypto-withdrawal/get-network-fee?currency=${slug}`],
    ['GET', `/v1/crypto-withdrawal/get-network-fee?currency=${slug}`],
    ['POST', '/v1/order/lock-rate', { currency: slug, amount: '100' }],
    ['POST', '/v1/partner/wallet', { currency: slug }],
    ['POST', '/v1/sandbox/crypto-deposit', { address: EVM_DEST, currency: slug, amount: '1' }],
    ['GET', `/v1/partner/transaction-history?currency=${slug}`],
    // networks
    ['GET', `/v1/partner/crypto-withdrawal/get-network-fee?currency=usdc&network=${slug}`],
    ['POST', '/v1/partner/crypto-withdrawal',
      { currency: 'eth', network: slug, amount: '0.01', walletAddress: EVM_DEST, name: 'Maria', walletType: 'NON_CUSTODIAL', receiverType: 'NATURAL' }],
    ['POST', '/v1/order/lock-rate', { currency: 'usdc', network: slug, amount: '100' }],
    ['POST', '/v1/partner/wallet', { currency: 'usdc', network: slug }],
  ];

  it('answers Object.prototype member names exactly as an unknown slug ("xyz"): a 400, no P500, no change', async () => {
    const unknown: string[] = [];
    for (const [method, path, body] of requestsFor('xyz')) unknown.push((await p.call(method, path, body)).body.errorCode);
    expect(new Set(unknown)).toEqual(new Set(['P403', 'P410', 'P623', 'P632']));
    for (const slug of SLUGS) {
      await expectRefused(requestsFor(slug), unknown);
      await expectRefused(requestsFor(slug.toUpperCase()), unknown);
    }
  });
});

describe('amounts are plain decimals: a JSON string like "12.50" or a finite JSON number', () => {
  const BAD = [' 1', '1 ', '\t1', '00001', '01', '00.5', '1e2', '1E2', '+1', '-1', '1.', '.5', '1,5', 'Infinity', 'NaN', '0x10', '',
    ['1'], [1], true, false, null, {}, { value: '1' }];

  it('refuses each on POST /v1/transfer with P403 and moves nothing', async () => {
    await expectRefused(BAD.map((amount) => transfer(amount)), 'P403');
  });

  it('refuses them where money comes in (sandbox deposits) and in an exchange quote', async () => {
    const [{ iban }] = await t.db.query<{ iban: string }>(`SELECT iban FROM accounts WHERE partner_id = $1 AND owner_type = 'partner' AND currency = 'eur'`, [p.id]);
    const wallet = (await p.call('GET', '/v1/partner/balances')).body.cryptoBalances.find((b: any) => b.name === 'eth').wallet;
    await expectRefused([
      ...BAD.map((amount): [string, string, unknown] => ['POST', '/v1/sandbox/sepa-deposit', { iban, amount }]),
      ...BAD.map((amount): [string, string, unknown] => ['POST', '/v1/sandbox/crypto-deposit', { address: wallet, currency: 'eth', amount }]),
      ...[' 1', '01', '1e2', 'Infinity', '0x10'].map((amount): [string, string] =>
        ['GET', `/v1/partner/exchange/get-lock?currencyFrom=eur&currencyTo=btc&amount=${encodeURIComponent(amount)}`]),
    ], 'P403');
  });

  it('refuses a JSON number too large for a double (1e400 parses as Infinity)', async () => {
    await expectRefused([['POST', '/v1/transfer', '{"destinationExternalUserId":"alice","currency":"eur","amount":1e400}']], 'P403');
  });

  it('still takes "0.5", "10.25" and JSON numbers', async () => {
    await createUser(p, 'carol');
    for (const amount of ['0.5', '10.25', 1, 0.25, 2]) {
      const res = await p.call(...transfer(amount, 'carol'));
      expect(res.status, `${JSON.stringify(amount)} ${JSON.stringify(res.body)}`).toBe(200);
    }
    expect((await amounts(p, 'carol')).eur).toBe('14.00');
  });
});

describe('no type coercion of request bodies', () => {
  it('refuses a clock advance by a non-integer, an infinite or a string number of seconds; the clock stays', async () => {
    const bodies: unknown[] = [{ seconds: 'Infinity' }, { seconds: '1e400' }, { seconds: true }, { seconds: '5' }, { seconds: null },
      { seconds: [5] }, { seconds: -1 }, { seconds: 1.5 }, { seconds: {} }, '{"seconds":1e400}', '{"seconds":-1e400}'];
    await expectRefused(bodies.map((body) => ['POST', '/v1/sandbox/clock/advance', body]), 'P403');
    expect((await p.call('POST', '/v1/sandbox/clock/advance', { seconds: 5 })).status).toBe(200);
  });

  it('refuses a number, boolean or array in a text field, and a string in a boolean field', async () => {
    const user = { externalUserId: 'bob', email: 'bob@example.com', firstName: 'Bob', lastName: 'Builder', country: 'PL' };
    const sepa = { amount: '1', currency: 'eur', destinationIban: DEST_IBAN, transferTitle: 'Invoice 1' };
    await expectRefused([
      ['POST', '/v1/partner/sepa-transfer', { ...sepa, transferTitle: 5 }],
      ['POST', '/v1/partner/sepa-transfer', { ...sepa, destinationIban: ['DE89370400440532013000'] }],
      ['POST', '/v1/partner/sepa-transfer', { ...sepa, currency: ['eur'] }],
      ['POST', '/v1/user/balances/crypto', { ...user, externalUserId: 5 }],
      ['POST', '/v1/user/balances/crypto', { ...user, firstName: true }],
      ['POST', '/v1/user/balances/crypto', { ...user, hasAcceptedP100Tc: 'true' }],
      ['POST', '/v1/transfer', { destinationExternalUserId: 5, currency: 'eur', amount: '1' }],
      ['POST', '/v1/transfer', { destinationExternalUserId: ['alice'], currency: 'eur', amount: '1' }],
      ['PUT', '/v1/partner/webhook-settings', { url: 'http://127.0.0.1:9/hook', enabled: 'true' }],
    ], 'P403');
  });
});

describe('querystring integers are finite and plainly spelled', () => {
  const LISTS = ['/v1/partner/transaction-history', '/v1/user/transaction-history/alice', '/v1/partner/sepa-deposit/contacts',
    '/v1/sepa-deposit/contacts/alice', '/v1/partner/webhook-deliveries'];
  const LIMITS = ['Infinity', '-Infinity', '1e400', '1.5', '0x10', '1e1', ' 5', '05', '+5', '5.0', 'true', ''];

  it('answers P403 for limit=Infinity, 1e400, 1.5, 0x10 ... on every list endpoint', async () => {
    const requests: [string, string][] = LISTS.flatMap((path) => [
      ...LIMITS.map((limit): [string, string] => ['GET', `${path}?limit=${encodeURIComponent(limit)}`]),
      ['GET', `${path}?limit=5&limit=6`],
    ]);
    await expectRefused(requests, 'P403');
  });

  it('still reads limit=5', async () => {
    for (const path of ['/v1/partner/transaction-history', '/v1/partner/sepa-deposit/contacts', '/v1/partner/webhook-deliveries']) {
      expect((await p.call('GET', `${path}?limit=5`)).status, path).toBe(200);
    }
  });
});
