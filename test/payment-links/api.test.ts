import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walletUri } from '../../src/modules/payment-links/wallet-uri.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { advance, amounts, expectError } from '../support/balances.js';
import { createApprovedUser, createKycUser } from '../support/users.js';
import { chooseCoin, createLink, details, linkEvents, pagePath, pay } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed' });
});
afterAll(() => t.close());

const SETTINGS = {
  displayName: 'Acme <Shop>', logoUrl: 'https://cdn.example.com/logo.png', accentColor: '#0a7d4f', expiryMinutes: 20,
  underpaymentWindowMinutes: 10, paymentTolerancePercent: 1, successUrl: 'https://shop.example.com/thanks', cancelUrl: 'https://shop.example.com/cart',
};

describe('checkout settings and hosted checkout', () => {
  it('keeps the partner settings and creates checkout links with them', async () => {
    const p = await t.createPartner('Checkout');
    expect((await p.call('GET', '/v1/partner/checkout-settings')).body).toMatchObject({ expiryMinutes: 60, underpaymentWindowMinutes: 30, paymentTolerancePercent: 0 });
    const saved = await p.call('PUT', '/v1/partner/checkout-settings', SETTINGS);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect((await p.call('GET', '/v1/partner/checkout-settings')).body).toEqual(SETTINGS);
    expectError(await p.call('PUT', '/v1/partner/checkout-settings', { ...SETTINGS, logoUrl: 'http://cdn.example.com/logo.png' }), 400, 'P403');
    expectError(await p.call('PUT', '/v1/partner/checkout-settings', { ...SETTINGS, accentColor: 'red' }), 400, 'P403');

    const link = await createLink(p, { amount: '100.00', reference: 'cart-9' }, '/v1/payment-link/checkout');
    const d = await details(p, link.paymentLinkId);
    expect(d).toMatchObject({
      type: 'CHECKOUT', paymentTolerancePercent: 1, underpaymentWindowMinutes: 10, successUrl: SETTINGS.successUrl, cancelUrl: SETTINGS.cancelUrl,
    });
    expect(new Date(d.expiresAt).getTime() - new Date(d.createdAt).getTime()).toBe(20 * 60_000);

    const page = await fetch(`${t.url}${pagePath(link.url)}`);
    const text = await page.text();
    expect(page.status).toBe(200);
    expect(text).toContain('Acme &lt;Shop&gt;');
    expect(text).not.toContain('Acme <Shop>');
    expect(text).toContain('--accent:#0a7d4f');
    expect(text).toContain('src="https://cdn.example.com/logo.png"');
    expect(page.headers.get('content-security-policy')).toContain("img-src 'self' data: blob: https://cdn.example.com;");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');

    // Within the 1 % tolerance: 118.5 USDC = 99.32 EUR completes a 100.00 EUR link (at least 99.00 needed).
    await chooseCoin(t, link.url, 'usdc:polygon');
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '118.5');
    await advance(p, 3600);
    expect(await details(p, link.paymentLinkId)).toMatchObject({ status: 'COMPLETED', exception: null, amountReceived: '99.32', amountRemaining: '0.68' });
    const done = await (await fetch(`${t.url}${pagePath(link.url)}`)).text();
    expect(done).toContain('Payment complete');
    expect(done).toContain('href="https://shop.example.com/thanks"');
  });

  it('credits the named user instead of the partner', async () => {
    const p = await t.createPartner('User credit');
    const { externalUserId: user } = await createApprovedUser(p);
    const link = await createLink(p, { amount: '10.00', externalUserId: user }, '/v1/payment-link/checkout');
    expect((await details(p, link.paymentLinkId)).externalUserId).toBe(user);
    await chooseCoin(t, link.url, 'usdc:polygon');
    const { quote } = await details(p, link.paymentLinkId);
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', quote.amount);
    await advance(p, 3600);
    expect((await details(p, link.paymentLinkId)).status).toBe('COMPLETED');
    expect((await amounts(p, user)).eur).toBe('10.00');
    expect((await amounts(p)).eur).toBe('0.00');
    expectError(await p.call('POST', '/v1/payment-link/checkout', { amount: '10.00', externalUserId: 'nobody' }), 400, 'P412');
    const pending = await createKycUser(p, undefined, false);
    const refused = await p.call('POST', '/v1/payment-link/checkout', { amount: '10.00', externalUserId: pending.externalUserId });
    expect(refused.status).toBe(400);
  });

  it('answers a retry with the same Idempotency-Key with the same link and URL, and makes one link', async () => {
    const p = await t.createPartner('Retry');
    const key = { 'idempotency-key': 'link-retry-1' };
    const first = await p.call('POST', '/v1/payment-link', { amount: '15.00' }, key);
    const again = await p.call('POST', '/v1/payment-link', { amount: '15.00' }, key);
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const [row] = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM payment_links WHERE partner_id = $1', [p.id]);
    expect(Number(row.n)).toBe(1);
    expect((await p.call('POST', '/v1/payment-link', { amount: '16.00' }, key)).status).toBe(409);
  });

  it('refuses bad amounts', async () => {
    const p = await t.createPartner('Amounts');
    expectError(await p.call('POST', '/v1/payment-link', { amount: '0.99' }), 400, 'P615');
    expectError(await p.call('POST', '/v1/payment-link', { amount: '1.001' }), 400, 'P403');
    expectError(await p.call('POST', '/v1/payment-link', { amount: '10', expiryMinutes: 1 }), 400, 'P403');
  });
});

describe('another partner', () => {
  it("cannot read, pay or deposit to a partner's link", async () => {
    const a = await t.createPartner('Owner');
    const b = await t.createPartner('Other');
    const link = await createLink(a, { amount: '10.00' });
    await chooseCoin(t, link.url, 'usdc:polygon');
    const { quote } = await details(a, link.paymentLinkId);
    expectError(await b.call('GET', `/v1/payment-link/details/${link.paymentLinkId}`), 404, 'P680');
    expectError(await b.call('GET', '/v1/payment-link/details/not-a-uuid'), 404, 'P680');
    expectError(await b.call('POST', `/v1/sandbox/payment-link/${link.paymentLinkId}/pay`, { currency: 'usdc', network: 'polygon', amount: '1' }), 404, 'P680');
    expectError(await b.call('POST', '/v1/sandbox/crypto-deposit', { address: quote.address, currency: 'usdc', network: 'polygon', amount: '1' }), 404, 'P613');
    expect((await b.call('GET', '/v1/partner/checkout-settings')).body.displayName).toBeNull();
    expect((await details(a, link.paymentLinkId)).transactions).toEqual([]);
    expect(await linkEvents(t, b, link.paymentLinkId)).toEqual([]);
  });
});

describe('payer page', () => {
  it('works without JavaScript: a coin form, a refresh, a status endpoint; an unknown token is a 404 page', async () => {
    const p = await t.createPartner('Page');
    const link = await createLink(p, { amount: '25.00', description: 'Tickets' });
    const path = pagePath(link.url);
    const first = await (await fetch(`${t.url}${path}`)).text();
    expect(first).toContain('Pay 25.00 EUR');
    expect(first).toContain('name="option" value="usdc:polygon"');
    expect(first).toContain('<noscript><meta http-equiv="refresh"');
    await chooseCoin(t, link.url, 'btc:btc');
    const quoted = await (await fetch(`${t.url}${path}`)).text();
    const { quote } = await details(p, link.paymentLinkId);
    expect(quoted).toContain(`<span id="pay-amount" class="mono">${quote.amount}</span> BTC`);
    expect(quoted).toContain(quote.address);
    expect(quoted).toContain(`href="bitcoin:${quote.address}?amount=`);
    expect(quoted).toMatch(/src="data:image\/png;base64,/);
    const status = await (await fetch(`${t.url}${path}/status`)).json();
    expect(status).toMatchObject({ status: 'WAITING_FOR_PAYMENT', amountRemaining: '25.00' });

    const bad = await fetch(`${t.url}${path}/quote`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'option=usdt:polygon',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Payment links take');

    // A 2.00 EUR link is less than USDC's minimum transfer on Ethereum (5 USDC): that coin is not quoted for it.
    const small = await createLink(p, { amount: '2.00' });
    const belowMinimum = await fetch(`${t.url}${pagePath(small.url)}/quote`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'option=usdc:ethereum',
    });
    expect(belowMinimum.status).toBe(400);
    expect(await belowMinimum.text()).toContain('below the minimum transfer of 5 on this network');
    expect((await details(p, small.paymentLinkId)).quote).toBeNull();

    expect((await fetch(`${t.url}/pay/${'x'.repeat(43)}`)).status).toBe(404);
    expect((await fetch(`${t.url}/pay/${'x'.repeat(43)}/status`)).status).toBe(404);
    // The quote lapses on the partner's clock (its job): no current quote, and the page asks for a new one in the same coin.
    await advance(p, 14 * 60);
    expect((await details(p, link.paymentLinkId)).quote).not.toBeNull();
    await advance(p, 61);
    expect((await details(p, link.paymentLinkId)).quote).toBeNull();
    const lapsed = await (await fetch(`${t.url}${path}`)).text();
    expect(lapsed).toContain('The quoted amount has lapsed');
    expect(lapsed).toContain('value="btc:btc" checked');
    expect((await linkEvents(t, p, link.paymentLinkId)).map((e) => e.quote === null)).toEqual([true, true]);
  });
});

describe('wallet URIs', () => {
  it.each([
    ['btc', 'btc', 'tb1qexample', 250119n, 'bitcoin:tb1qexample?amount=0.00250119'],
    ['ltc', 'ltc', 'tltc1qexample', 100000000n, 'litecoin:tltc1qexample?amount=1'],
    ['doge', 'doge', 'nExample', 1250000000n, 'dogecoin:nExample?amount=12.5'],
    ['eth', 'ethereum', '0xAbC', 1349379n, 'ethereum:0xAbC@11155111?value=13493790000000000'],
    ['pol', 'polygon', '0xAbC', 100000000n, 'ethereum:0xAbC@80002?value=1000000000000000000'],
    ['usdc', 'polygon', '0xAbC', 119300617n, 'ethereum:0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582@80002/transfer?address=0xAbC&uint256=119300617'],
    ['usdc', 'ethereum', '0xAbC', 5000000n, 'ethereum:0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238@11155111/transfer?address=0xAbC&uint256=5000000'],
  ] as const)('%s on %s', (currency, network, address, amount, uri) => {
    expect(walletUri(currency, network, address, amount)).toBe(uri);
  });
});
