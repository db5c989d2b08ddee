import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { advance, fund } from '../support/balances.js';
import { createApprovedUser } from '../support/users.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';

/**
 * One clock for every timestamp a partner sees: after the sandbox moved the partner's clock, a
 * transfer shows one and the same time in its details, in the transaction history (both sides)
 * and in its webhook (the envelope's created_at and the payload's createdAt).
 */
let t: TestApp;
let receiver: Receiver;

beforeAll(async () => {
  t = await startTestApp();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

describe('one clock', () => {
  it('shows a transfer at one time in details, history and webhook after a clock advance', async () => {
    const p = await t.createPartner();
    expect((await p.call('PUT', '/v1/partner/webhook-settings', { url: receiver.url, payloadFormat: 'envelope' })).status).toBe(200);
    const user = await createApprovedUser(p);
    await fund(p, 'eur', '50.00');
    const DAYS = 3;
    await advance(p, DAYS * 86_400);
    const before = Date.now();

    const created = await p.call('POST', '/v1/transfer', { destinationExternalUserId: user.externalUserId, currency: 'eur', amount: '12.34' });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const { transferId } = created.body;

    const details = (await p.call('GET', `/v1/transfer/details/${transferId}`)).body;
    const at = details.createdAt as string;
    // The partner's clock: days ahead of the wall clock.
    expect(Date.parse(at) - before).toBeGreaterThan((DAYS - 1) * 86_400_000);

    const userLine = (await p.call('GET', `/v1/user/transaction-history/${user.externalUserId}`)).body.transactions
      .find((l: any) => l.referenceId === transferId);
    const partnerLine = (await p.call('GET', '/v1/partner/transaction-history')).body.transactions
      .find((l: any) => l.referenceId === transferId);
    expect([userLine?.createdAt, partnerLine?.createdAt]).toEqual([at, at]);

    await advance(p, 1); // runs the due webhook attempt
    const hook = (await receiver.waitFor(1)).map((r) => r.json).find((b) => b?.data?.id === transferId);
    expect(hook, JSON.stringify(receiver.received.map((r) => r.json))).toBeDefined();
    expect([hook.created_at, hook.data.createdAt]).toEqual([at, at]);
  });
});
