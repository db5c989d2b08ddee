import { expect } from 'vitest';
import type { TestApp, TestPartner } from '../support/app.js';

/** Payment link helpers over HTTP: create, read, quote through the payer page's form, pay through the sandbox. */

export async function createLink(p: TestPartner, body: object, path = '/v1/payment-link') {
  const res = await p.call('POST', path, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { paymentLinkId: string; url: string; status: string; expiresAt: string; amount: string };
}

export async function details(p: TestPartner, id: string) {
  const res = await p.call('GET', `/v1/payment-link/details/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** The page's path (the test server's port differs from CENTUM_PUBLIC_URL's). */
export const pagePath = (url: string) => new URL(url).pathname;

/** Chooses a coin on the payer page (the no-script form POST). */
export async function chooseCoin(t: TestApp, url: string, option: string) {
  const res = await fetch(`${t.url}${pagePath(url)}/quote`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `option=${encodeURIComponent(option)}`,
  });
  expect(res.status, await res.clone().text()).toBe(303);
}

export async function pay(p: TestPartner, id: string, currency: string, network: string, amount: string) {
  const res = await p.call('POST', `/v1/sandbox/payment-link/${id}/pay`, { currency, network, amount });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

export async function linkEvents(t: TestApp, p: TestPartner, id: string): Promise<any[]> {
  const rows = await t.db.query<{ payload: any }>(
    `SELECT payload FROM events WHERE partner_id = $1 AND type = 'payment_link.status' ORDER BY id`, [p.id],
  );
  return rows.map((r) => r.payload).filter((e) => e.paymentLinkId === id);
}

export async function linkPostings(t: TestApp, id: string): Promise<number> {
  const [row] = await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM postings WHERE kind = 'payment_link' AND ref_id = $1`, [id]);
  return Number(row.n);
}
