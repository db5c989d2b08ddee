import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentumError, CentumWebhookError, createCentum, verifyWebhook, type CallInit, type CentumClient } from '../../sdk/src/index.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';

/**
 * The SDK against a real server: after the partner is created (the operator's job), every call
 * goes through the SDK: a user onboarded and funded through the sandbox rails, an exchange with a
 * rate lock, a SEPA payout, the history read across pages, and a delivered webhook verified.
 */
let t: TestApp;
let partner: TestPartner;
let centum: CentumClient;
let receiver: Receiver;

beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed' });
  receiver = await startReceiver();
  partner = await t.createPartner('SDK');
  centum = createCentum({ baseUrl: t.url, apiKey: partner.apiKey });
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

const USER = 'sdk-ann';

describe('a partner integration written with the SDK only', () => {
  it('onboards, funds, exchanges with a lock, pays out by SEPA, pages the history and verifies a webhook', async () => {
    const { data: settings } = await centum.PUT('/v1/partner/webhook-settings', { body: { url: `${receiver.url}/hooks`, enabled: true } });
    expect(settings.url).toBe(`${receiver.url}/hooks`);

    // Fund the partner by a simulated incoming SEPA transfer to its IBAN.
    const { data: own } = await centum.GET('/v1/partner/balances');
    const iban = own.fiatBalances[0]!.iban;
    await centum.POST('/v1/sandbox/sepa-deposit', { body: { iban: iban!, amount: '500.00' } });

    // Onboard a KYC-model user, approve it in the sandbox, fund it from the partner.
    await centum.POST('/v1/user/balances/crypto-and-fiat', {
      body: { externalUserId: USER, email: 'ann@example.com', firstName: 'Ann', lastName: 'Lee', country: 'PL' },
    });
    await centum.POST('/v1/sandbox/kyc-decision', { body: { externalUserId: USER, decision: 'APPROVED' } });
    const { data: transfer } = await centum.POST('/v1/transfer', { body: { destinationExternalUserId: USER, currency: 'eur', amount: '100.00' } });
    const { data: moved } = await centum.GET('/v1/transfer/details/{transferId}', { params: { path: { transferId: transfer.transferId } } });
    expect(moved.status).toBe('SUCCESSFUL');

    // Exchange with a rate lock.
    const { data: lock } = await centum.GET('/v1/exchange/get-lock/{externalUserId}', {
      params: { path: { externalUserId: USER }, query: { currencyFrom: 'eur', currencyTo: 'btc', amount: '50' } },
    });
    const { data: exchange } = await centum.POST('/v1/exchange', {
      body: { sourceExternalUserId: USER, currencyFrom: 'eur', currencyTo: 'btc', amount: '50', lockId: lock.lockId },
    });
    const { data: exchanged } = await centum.GET('/v1/exchange/details/{exchangeId}', { params: { path: { exchangeId: exchange.exchangeId } } });
    expect(exchanged.status).toBe('COMPLETED');

    // Pay out by SEPA; it settles once the sandbox clock passes the settlement delay.
    const { data: payout } = await centum.POST('/v1/sepa-transfer', {
      body: { sourceExternalUserId: USER, amount: '20', currency: 'eur', destinationIban: 'DE89370400440532013000', transferTitle: 'Rent' },
    });
    await centum.POST('/v1/sandbox/clock/advance', { body: { seconds: 3600 } });
    const { data: settled } = await centum.GET('/v1/sepa-transfer/details/{transferId}', { params: { path: { transferId: payout.transferId } } });
    expect(settled.status).toBe('SUCCESSFUL');

    // History across pages of two: every line once, newest first, the same as one big page.
    const seen: string[] = [];
    let pageCount = 0;
    for await (const page of centum.pages('/v1/user/transaction-history/{externalUserId}', {
      params: { path: { externalUserId: USER }, query: { limit: 2 } },
    })) {
      pageCount += 1;
      expect(page.transactions.length).toBeLessThanOrEqual(2);
      seen.push(...page.transactions.map((line) => line.id));
    }
    const { data: whole } = await centum.GET('/v1/user/transaction-history/{externalUserId}', {
      params: { path: { externalUserId: USER }, query: { limit: 100 } },
    });
    expect(pageCount).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual(whole.transactions.map((line) => line.id));
    expect(whole.transactions.map((line) => line.type)).toEqual(expect.arrayContaining(['transfer', 'exchange', 'sepa_transfer']));

    // The SEPA payout's webhook, verified with the helper; the same delivery tampered with fails.
    const delivered = receiver.received.find((r) => r.headers['centum-event-type'] === 'sepa_transfer.status' && r.json?.status === 'SUCCESSFUL');
    expect(delivered, JSON.stringify(receiver.received.map((r) => r.headers['centum-event-type']))).toBeDefined();
    const event = verifyWebhook({ token: partner.webhookToken, headers: delivered!.headers, body: delivered!.body });
    expect(event.type).toBe('sepa_transfer.status');
    expect(event.eventId).toBe(delivered!.headers['centum-event-id']);
    expect(event.payload).toMatchObject({ status: 'SUCCESSFUL' });
    // The delivery log (another paginated endpoint) records it as delivered.
    const logged = [];
    for await (const page of centum.pages('/v1/partner/webhook-deliveries', { params: { query: { eventId: event.eventId, limit: 1 } } })) {
      logged.push(...page.deliveries);
    }
    expect(logged.map((d) => [d.eventType, d.status])).toEqual([['sepa_transfer.status', 'SUCCEEDED']]);

    const tampered = delivered!.body.replace('"SUCCESSFUL"', '"FAILED"');
    expect(tampered).not.toBe(delivered!.body);
    expect(() => verifyWebhook({ token: partner.webhookToken, headers: delivered!.headers, body: tampered }))
      .toThrow(expect.objectContaining({ reason: 'wrong-signature' }));
  });

  it('turns an error answer into a CentumError with its P-code, name and status', async () => {
    const failure = await centum.GET('/v1/user/balances/{externalUserId}', { params: { path: { externalUserId: 'nobody' } } })
      .then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(CentumError);
    const error = failure as CentumError;
    expect([error.status, error.errorCode, error.errorName, error.errorMessage]).toEqual([400, 'P412', 'invalid-user', 'User not exist']);
    expect(error.retryable).toBe(false);
    expect(error.requestId).toBeTruthy();
    expect(error.requestId).toBe(error.headers.get('request-id'));

    const denied = await createCentum({ baseUrl: t.url, apiKey: 'ck_wrong' }).GET('/v1/partner/me').catch((e: unknown) => e);
    expect(denied).toMatchObject({ status: 401, errorCode: undefined });
    expect(denied).toBeInstanceOf(CentumError);
  });
});

describe('CentumError', () => {
  it('takes the request id from the body, else from the Request-Id header', () => {
    const headers = new Headers({ 'request-id': 'req-from-header' });
    const body = { errorCode: 'P501', errorName: 'service-temporarily-unavailable', errorMessage: 'Service temporarily unavailable' };
    expect(new CentumError({ status: 503, body: { ...body, requestId: 'req-from-body' }, headers }).requestId).toBe('req-from-body');
    const fromHeader = new CentumError({ status: 503, body, headers });
    expect([fromHeader.requestId, fromHeader.retryable, fromHeader.message]).toEqual(['req-from-header', true, 'P501: Service temporarily unavailable']);
    expect(new CentumError({ status: 502, body: '<html>Bad gateway</html>' })).toMatchObject({ errorCode: undefined, requestId: undefined, retryable: true });
  });
});

describe('webhook verification refuses what the server did not send now', () => {
  it('wrong token, missing or stale signature', async () => {
    await centum.POST('/v1/user/balances/crypto', { body: { externalUserId: 'sdk-bob', email: 'bob@example.com', firstName: 'Bob', lastName: 'Ray', country: 'PL' } });
    await centum.POST('/v1/sandbox/clock/advance', { body: { seconds: 0 } });
    const delivered = receiver.received.find((r) => r.json?.externalUserId === 'sdk-bob')!;
    expect(delivered).toBeDefined();
    const base = { token: partner.webhookToken, headers: delivered.headers, body: delivered.body };
    const reason = (f: () => unknown) => { try { f(); return 'verified'; } catch (e) { return (e as CentumWebhookError).reason; } };
    expect(reason(() => verifyWebhook(base))).toBe('verified');
    expect(reason(() => verifyWebhook({ ...base, token: `${partner.webhookToken}x` }))).toBe('wrong-token');
    expect(reason(() => verifyWebhook({ ...base, headers: { ...delivered.headers, authorization: undefined } }))).toBe('missing-token');
    expect(reason(() => verifyWebhook({ ...base, headers: { ...delivered.headers, 'centum-signature': undefined } }))).toBe('missing-signature');
    const signedAt = Number(/t=(\d+)/.exec(String(delivered.headers['centum-signature']))![1]);
    expect(reason(() => verifyWebhook({ ...base, nowMs: (signedAt + 301) * 1000 }))).toBe('stale-timestamp');
    expect(reason(() => verifyWebhook({ ...base, nowMs: (signedAt - 301) * 1000 }))).toBe('stale-timestamp');
    expect(reason(() => verifyWebhook({ ...base, nowMs: (signedAt + 300) * 1000 }))).toBe('verified');
    expect(reason(() => verifyWebhook({ ...base, body: Buffer.from(delivered.body) }))).toBe('verified');
  });
});

describe('Idempotency-Key on every POST', () => {
  const user = 'sdk-idem';
  /** The partner's EUR balance, as the API reports it. */
  const partnerEur = async (client: CentumClient) => (await client.GET('/v1/partner/balances')).data.fiatBalances[0]!.amount;

  beforeAll(async () => {
    const { data: own } = await centum.GET('/v1/partner/balances');
    await centum.POST('/v1/sandbox/sepa-deposit', { body: { iban: own.fiatBalances[0]!.iban!, amount: '100.00' } });
    await centum.POST('/v1/user/balances/crypto-and-fiat', {
      body: { externalUserId: user, email: 'idem@example.com', firstName: 'Ida', lastName: 'Em', country: 'PL' },
    });
    await centum.POST('/v1/sandbox/kyc-decision', { body: { externalUserId: user, decision: 'APPROVED' } });
  });

  it('sends the same call object with the same key (the server replays), a new object with a new key', async () => {
    const send = { body: { destinationExternalUserId: user, currency: 'eur', amount: '1.00' } } satisfies CallInit<'/v1/transfer', 'post'>;
    const before = Number(await partnerEur(centum));
    const first = await centum.POST('/v1/transfer', send);
    const again = await centum.POST('/v1/transfer', send);
    expect(centum.idempotencyKeyOf(send)).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.data.transferId).toBe(first.data.transferId);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(Number(await partnerEur(centum))).toBeCloseTo(before - 1, 2);

    const other = { body: { ...send.body } } satisfies CallInit<'/v1/transfer', 'post'>;
    const second = await centum.POST('/v1/transfer', other);
    expect(second.data.transferId).not.toBe(first.data.transferId);
    expect(centum.idempotencyKeyOf(other)).not.toBe(centum.idempotencyKeyOf(send));
    expect(Number(await partnerEur(centum))).toBeCloseTo(before - 2, 2);
  });

  it('keeps a key the caller gives', async () => {
    const key = `order-${crypto.randomUUID()}`;
    const a = await centum.POST('/v1/transfer', { body: { destinationExternalUserId: user, currency: 'eur', amount: '1.00' }, headers: { 'Idempotency-Key': key } });
    const b = await centum.POST('/v1/transfer', { body: { destinationExternalUserId: user, currency: 'eur', amount: '1.00' }, headers: { 'idempotency-key': key } });
    expect(b.data.transferId).toBe(a.data.transferId);
    const changed = await centum.POST('/v1/transfer', { body: { destinationExternalUserId: user, currency: 'eur', amount: '2.00' }, headers: { 'Idempotency-Key': key } })
      .catch((e: unknown) => e);
    expect(changed).toMatchObject({ status: 409, errorCode: 'P601', errorName: 'idempotency-key-reused' });
  });

  it('a retry of the same call object after a lost answer moves the money once', async () => {
    // The request reaches the server and commits, then the connection drops before the answer.
    let drop = true;
    const flaky = createCentum({
      baseUrl: t.url, apiKey: partner.apiKey, maxRetries: 0,
      fetch: async (request) => {
        const response = await fetch(request);
        if (!drop) return response;
        drop = false;
        throw new TypeError('fetch failed: socket hang up');
      },
    });
    const send = { body: { destinationExternalUserId: user, currency: 'eur', amount: '5.00' } } satisfies CallInit<'/v1/transfer', 'post'>;
    const before = Number(await partnerEur(centum));
    await expect(flaky.POST('/v1/transfer', send)).rejects.toThrow('socket hang up');
    const retried = await flaky.POST('/v1/transfer', send);
    expect(retried.response.headers.get('idempotent-replayed')).toBe('true');
    expect(Number(await partnerEur(centum))).toBeCloseTo(before - 5, 2);
  });

  it('retries by itself, with the same key, after a lost answer or an answer that kept no result', async () => {
    const keys: (string | null)[] = [];
    const failures = ['lost', '503'];
    const flaky = createCentum({
      baseUrl: t.url, apiKey: partner.apiKey, retryDelayMs: 1,
      fetch: async (request) => {
        keys.push(request.headers.get('idempotency-key'));
        const failure = failures.shift();
        if (failure === '503') {
          return new Response(JSON.stringify({ errorCode: 'P501', errorName: 'service-temporarily-unavailable', errorMessage: 'retry' }),
            { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '0' } });
        }
        const response = await fetch(request);
        if (failure === 'lost') throw new TypeError('fetch failed: socket hang up');
        return response;
      },
    });
    const before = Number(await partnerEur(centum));
    const { data, response } = await flaky.POST('/v1/transfer', { body: { destinationExternalUserId: user, currency: 'eur', amount: '3.00' } });
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(response.headers.get('idempotent-replayed')).toBe('true');
    const { data: details } = await centum.GET('/v1/transfer/details/{transferId}', { params: { path: { transferId: data.transferId } } });
    expect(details.status).toBe('SUCCESSFUL');
    expect(Number(await partnerEur(centum))).toBeCloseTo(before - 3, 2);
  });

  it('does not retry a final answer, nor PUT, PATCH or DELETE', async () => {
    let calls = 0;
    const counting = createCentum({ baseUrl: t.url, apiKey: partner.apiKey, retryDelayMs: 1, fetch: (request) => { calls += 1; return fetch(request); } });
    await expect(counting.POST('/v1/transfer', { body: { destinationExternalUserId: 'nobody', currency: 'eur', amount: '1.00' } }))
      .rejects.toMatchObject({ errorCode: 'P412', retryable: false });
    expect(calls).toBe(1);
    const down = createCentum({ baseUrl: t.url, apiKey: partner.apiKey, retryDelayMs: 1, fetch: () => { calls += 1; throw new TypeError('fetch failed'); } });
    calls = 0;
    await expect(down.PATCH('/v1/user/{externalUserId}', { params: { path: { externalUserId: user } }, body: { email: 'x@example.com' } })).rejects.toThrow('fetch failed');
    expect(calls).toBe(1);
    calls = 0;
    await expect(down.GET('/v1/partner/me')).rejects.toThrow('fetch failed');
    expect(calls).toBe(3);
  });
});
