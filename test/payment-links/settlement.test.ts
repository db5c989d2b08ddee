import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { advance, amounts } from '../support/balances.js';
import { chooseCoin, createLink, details, linkEvents, linkPostings, pay } from './support.js';

/*
 * Fixed rates, fee 1.49 %: USDC mid 0.850897, rate 0.8382186347 EUR per USDC; ETH mid 3739.63838808,
 * rate 3683.91777609. Hand-computed (EUR rounded down, crypto due rounded up):
 *   100.00 EUR = 119.300617 USDC (gross 101.51, fee 1.51)
 *   60 USDC   -> 50.29 EUR (gross 51.05, fee 0.76); then 49.71 EUR left = 59.304337 USDC or 0.01349379 ETH (-> 49.71, gross 50.46, fee 0.75)
 *   200 USDC  -> 167.64 EUR (gross 170.17, fee 2.53); 10 USDC -> 8.38 EUR (gross 8.50, fee 0.12)
 * USDC on Polygon needs 32 confirmations of 2 s, ETH on Ethereum 12 of 12 s: an hour settles either.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed' });
});
afterAll(() => t.close());

describe('payment link settlement', () => {
  it('settles an exact payment once, at the quoted rate, and completes the link', async () => {
    const p = await t.createPartner('Exact');
    const link = await createLink(p, { amount: '100.00', description: 'Order 1', reference: 'o-1' });
    expect(link).toMatchObject({ status: 'WAITING_FOR_PAYMENT', amount: '100.00', currency: 'eur' });
    expect(link.url).toMatch(/\/pay\/[A-Za-z0-9_-]{43}$/);
    await chooseCoin(t, link.url, 'usdc:polygon');
    const quoted = await details(p, link.paymentLinkId);
    expect(quoted.quote).toMatchObject({ currency: 'usdc', network: 'polygon', amount: '119.300617', eurAmount: '100.00', rate: '0.8382186347' });
    expect(quoted.quote.address).toMatch(/^0x[0-9a-fA-F]{40}$/);

    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '119.300617');
    expect(await details(p, link.paymentLinkId)).toMatchObject({ status: 'CONFIRMING', amountReceived: '0.00' });
    await advance(p, 20);
    const confirming = await details(p, link.paymentLinkId);
    expect(confirming.status).toBe('CONFIRMING');
    expect(confirming.transactions[0].confirmations).toBeGreaterThan(0);
    expect(confirming.transactions[0].confirmations).toBeLessThan(32);
    expect((await amounts(p)).eur).toBe('0.00');

    await advance(p, 3600);
    const done = await details(p, link.paymentLinkId);
    expect(done).toMatchObject({
      status: 'COMPLETED', exception: null, amount: '100.00', amountReceived: '100.00', amountRemaining: '0.00', fee: '1.51', reference: 'o-1',
    });
    expect(done.transactions).toEqual([expect.objectContaining({
      currency: 'usdc', network: 'polygon', amount: '119.300617', eurAmount: '100.00', fee: '1.51', rate: '0.8382186347',
      confirmations: 32, requiredConfirmations: 32, status: 'SETTLED', late: false,
    })]);
    expect(await amounts(p)).toMatchObject({ eur: '100.00', usdc: '0.000000' });
    expect(await linkPostings(t, link.paymentLinkId)).toBe(1);
    expect((await linkEvents(t, p, link.paymentLinkId)).map((e) => e.status)).toEqual(['WAITING_FOR_PAYMENT', 'CONFIRMING', 'COMPLETED']);

    const history = await p.call('GET', '/v1/partner/transaction-history?type=payment_link');
    expect(history.body.transactions).toEqual([expect.objectContaining({ type: 'payment_link', amount: '100.00', referenceId: link.paymentLinkId })]);
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('waits for the rest after an underpayment and completes on a top-up within the window', async () => {
    const p = await t.createPartner('Top-up');
    const link = await createLink(p, { amount: '100.00' });
    await chooseCoin(t, link.url, 'usdc:polygon');
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '60');
    await advance(p, 300);
    const awaiting = await details(p, link.paymentLinkId);
    expect(awaiting).toMatchObject({
      status: 'AWAITING_COMPLETION', exception: 'UNDERPAID', amountReceived: '50.29', amountRemaining: '49.71', fee: '0.76',
      // a new quote for what is left, in the same coin
      quote: { currency: 'usdc', network: 'polygon', amount: '59.304337', eurAmount: '49.71' },
    });
    expect(new Date(awaiting.underpaymentWindowEndsAt).getTime() - new Date(awaiting.transactions[0].settledAt).getTime()).toBe(30 * 60_000);
    expect((await amounts(p)).eur).toBe('50.29');

    await advance(p, 5 * 60);
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '59.304337');
    expect((await details(p, link.paymentLinkId)).status).toBe('CONFIRMING');
    await advance(p, 3600);
    const done = await details(p, link.paymentLinkId);
    expect(done).toMatchObject({ status: 'COMPLETED', exception: 'MULTIPLE', amountReceived: '100.00', amountRemaining: '0.00', fee: '1.51' });
    expect(done.transactions.map((x: any) => [x.amount, x.eurAmount, x.status])).toEqual([['60.000000', '50.29', 'SETTLED'], ['59.304337', '49.71', 'SETTLED']]);
    expect((await amounts(p)).eur).toBe('100.00');
    expect(await linkPostings(t, link.paymentLinkId)).toBe(2);
    expect((await linkEvents(t, p, link.paymentLinkId)).map((e) => e.status)).toEqual([
      'WAITING_FOR_PAYMENT', 'CONFIRMING', 'AWAITING_COMPLETION', 'CONFIRMING', 'COMPLETED',
    ]);
  });

  it('expires an underpaid link when the window lapses, keeping what was paid credited', async () => {
    const p = await t.createPartner('Lapsed');
    const link = await createLink(p, { amount: '100.00' });
    await chooseCoin(t, link.url, 'usdc:polygon');
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '60');
    await advance(p, 3600);
    expect((await details(p, link.paymentLinkId)).status).toBe('AWAITING_COMPLETION');
    await advance(p, 29 * 60);
    expect((await details(p, link.paymentLinkId)).status).toBe('AWAITING_COMPLETION');
    await advance(p, 61);
    expect(await details(p, link.paymentLinkId)).toMatchObject({
      status: 'EXPIRED', exception: 'UNDERPAID', amountReceived: '50.29', amountRemaining: '49.71',
    });
    expect((await amounts(p)).eur).toBe('50.29');
  });

  it('credits an overpayment in full', async () => {
    const p = await t.createPartner('Overpaid');
    const link = await createLink(p, { amount: '100.00' });
    await chooseCoin(t, link.url, 'usdc:polygon');
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '200');
    await advance(p, 3600);
    expect(await details(p, link.paymentLinkId)).toMatchObject({
      status: 'COMPLETED', exception: 'OVERPAID', amountReceived: '167.64', amountRemaining: '0.00', fee: '2.53',
    });
    expect((await amounts(p)).eur).toBe('167.64');
  });

  it('takes two payments in two currencies, each at its own quote', async () => {
    const p = await t.createPartner('Two coins');
    const link = await createLink(p, { amount: '100.00' });
    await chooseCoin(t, link.url, 'usdc:polygon');
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '60');
    await advance(p, 3600);
    await chooseCoin(t, link.url, 'eth:ethereum');
    const quoted = await details(p, link.paymentLinkId);
    expect(quoted.quote).toMatchObject({ currency: 'eth', network: 'ethereum', amount: '0.01349379', eurAmount: '49.71', rate: '3683.91777609' });
    await pay(p, link.paymentLinkId, 'eth', 'ethereum', '0.01349379');
    await advance(p, 3600);
    const done = await details(p, link.paymentLinkId);
    expect(done).toMatchObject({ status: 'COMPLETED', exception: 'MULTIPLE', amountReceived: '100.00', fee: '1.51' });
    expect(done.transactions.map((x: any) => [x.currency, x.network, x.amount, x.eurAmount])).toEqual([
      ['usdc', 'polygon', '60.000000', '50.29'], ['eth', 'ethereum', '0.01349379', '49.71'],
    ]);
    expect(done.addresses.map((a: any) => a.network).sort()).toEqual(['ethereum', 'polygon']);
    expect(await amounts(p)).toMatchObject({ eur: '100.00', eth: '0.00000000', usdc: '0.000000' });
  });

  it('settles a payment after expiry at the current rate and marks it late', async () => {
    const p = await t.createPartner('Late');
    const link = await createLink(p, { amount: '100.00', expiryMinutes: 5 });
    await advance(p, 301);
    expect((await details(p, link.paymentLinkId)).status).toBe('EXPIRED');
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '10');
    expect(await details(p, link.paymentLinkId)).toMatchObject({ status: 'EXPIRED', exception: 'PAID_LATE' });
    await advance(p, 3600);
    const late = await details(p, link.paymentLinkId);
    expect(late).toMatchObject({ status: 'EXPIRED', exception: 'PAID_LATE', amountReceived: '8.38', fee: '0.12' });
    expect(late.transactions).toEqual([expect.objectContaining({ late: true, status: 'SETTLED', eurAmount: '8.38', rate: '0.8382186347' })]);
    expect((await amounts(p)).eur).toBe('8.38');
  });

  it('a transfer seen after the expiry but before its job ran is late, and the job then changes nothing', async () => {
    const p = await t.createPartner('Before job');
    const link = await createLink(p, { amount: '100.00', expiryMinutes: 5 });
    await chooseCoin(t, link.url, 'usdc:polygon');
    // Move the clock without running jobs (as if the worker were behind), then pay.
    await t.db.query('UPDATE partners SET clock_offset_ms = clock_offset_ms + 301000 WHERE id = $1', [p.id]);
    t.app.ctx.partnerKeys.forget(p.id);
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '119.300617');
    await advance(p, 3600);
    const d = await details(p, link.paymentLinkId);
    // The quote (15 min) was still valid when the transfer was seen: its rate applies.
    expect(d).toMatchObject({ status: 'EXPIRED', exception: 'PAID_LATE', amountReceived: '100.00' });
    expect(await linkPostings(t, link.paymentLinkId)).toBe(1);
    expect((await linkEvents(t, p, link.paymentLinkId)).filter((e) => e.status === 'EXPIRED').length).toBeGreaterThan(0);
  });

  it('settles a payment racing the expiry job exactly once', async () => {
    const p = await t.createPartner('Race');
    const links = await Promise.all(Array.from({ length: 4 }, () => createLink(p, { amount: '100.00', expiryMinutes: 5 })));
    for (const link of links) await chooseCoin(t, link.url, 'usdc:polygon');
    await advance(p, 299);
    // The payments and the clock move that runs the expiry jobs race; then two clock moves race the settlements.
    await Promise.all([...links.map((l) => pay(p, l.paymentLinkId, 'usdc', 'polygon', '119.300617')), advance(p, 2)]);
    await Promise.all([advance(p, 1800), advance(p, 1800)]);
    await advance(p, 3600);
    let credited = 0n;
    for (const link of links) {
      const d = await details(p, link.paymentLinkId);
      expect(d.transactions).toHaveLength(1);
      expect(d.transactions[0]).toMatchObject({ status: 'SETTLED', eurAmount: '100.00' });
      expect(await linkPostings(t, link.paymentLinkId)).toBe(1);
      // Seen before the expiry: completed; seen after it: expired and paid late. Never both, never twice.
      expect([d.status, d.exception]).toEqual(d.transactions[0].late ? ['EXPIRED', 'PAID_LATE'] : ['COMPLETED', null]);
      credited += 10000n;
    }
    expect((await amounts(p)).eur).toBe(`${credited / 100n}.00`);
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('accepts another coin of the network at the link address, at the current rate', async () => {
    const p = await t.createPartner('Other coin');
    const link = await createLink(p, { amount: '100.00' });
    await chooseCoin(t, link.url, 'usdc:polygon');
    const { quote } = await details(p, link.paymentLinkId);
    // POL sent to the USDC address: no quote in POL, so the current rate (no money is refused or stranded).
    const res = await p.call('POST', '/v1/sandbox/crypto-deposit', { address: quote.address, currency: 'pol', network: 'polygon', amount: '1' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    await advance(p, 3600);
    const d = await details(p, link.paymentLinkId);
    expect(d.transactions).toEqual([expect.objectContaining({ currency: 'pol', amount: '1.00000000', status: 'SETTLED' })]);
    expect(d.status).toBe('AWAITING_COMPLETION');
    expect((await amounts(p)).eur).toBe(d.amountReceived);
  });

  it('gives two transfers arriving at once on a new network one address, and settles both', async () => {
    const p = await t.createPartner('Same time');
    const link = await createLink(p, { amount: '100.00' });
    const [a, b] = await Promise.all([pay(p, link.paymentLinkId, 'usdc', 'polygon', '10'), pay(p, link.paymentLinkId, 'pol', 'polygon', '1')]);
    expect(a.address).toBe(b.address);
    await advance(p, 3600);
    const d = await details(p, link.paymentLinkId);
    expect(d.addresses).toHaveLength(1);
    expect(d.transactions.map((x: any) => x.status)).toEqual(['SETTLED', 'SETTLED']);
    expect(await linkPostings(t, link.paymentLinkId)).toBe(2);
  });
});
