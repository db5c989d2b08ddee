import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentLinkWebhook } from '../../src/modules/payment-links/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { advance } from '../support/balances.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';
import { chooseCoin, createLink, pay } from './support.js';

/** `/webhook/payment-link/status` reaches a real receiver on every change, in the documented shape. */
let t: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed' });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

describe('payment link webhook', () => {
  it('reports creation, the transfer seen, the underpayment, the top-up and completion', async () => {
    const p = await t.createPartner('Hooks');
    expect((await p.call('PUT', '/v1/partner/webhook-settings', { url: `${receiver.url}/p100` })).status).toBe(200);
    const link = await createLink(p, { amount: '100.00', reference: 'hook-1' });
    await chooseCoin(t, link.url, 'usdc:polygon');
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '60');
    await advance(p, 300);
    await pay(p, link.paymentLinkId, 'usdc', 'polygon', '59.304337');
    await advance(p, 3600);
    const bodies = receiver.received.filter((r) => r.path === '/p100/webhook/payment-link/status').map((r) => r.json);
    expect(bodies.map((b) => [b.status, b.exception, b.amountReceived])).toEqual([
      ['WAITING_FOR_PAYMENT', null, '0.00'], ['CONFIRMING', null, '0.00'], ['AWAITING_COMPLETION', 'UNDERPAID', '50.29'],
      ['CONFIRMING', 'UNDERPAID', '50.29'], ['COMPLETED', 'MULTIPLE', '100.00'],
    ]);
    // The exported schema, as the OpenAPI document will carry it, accepts every body sent.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(PaymentLinkWebhook);
    for (const body of bodies) {
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
      expect(body).toMatchObject({ paymentLinkId: link.paymentLinkId, reference: 'hook-1' });
    }
    expect(receiver.received.every((r) => r.headers.authorization === p.webhookToken)).toBe(true);
  });
});
