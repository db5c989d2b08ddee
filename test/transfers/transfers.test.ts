import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import { startTestApp, type TestApp, type TestPartner } from '../support/app.js';
import { amounts, expectError, fund } from '../support/balances.js';
import { approveKyc, createUser } from '../support/users.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed', CENTUM_TRAVEL_RULE_THRESHOLD_EUR: '100000000' });
});
afterAll(() => t.close());

async function transfer(p: TestPartner, body: object, headers?: Record<string, string>) {
  const res = await p.call('POST', '/v1/transfer', body, headers);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.transferId as string;
}

describe('internal transfers', () => {
  it('funds a user, moves money between users and collects back, exactly', async () => {
    const p = await t.createPartner('Transfers');
    await createUser(p, 'alice');
    await createUser(p, 'bob');
    await fund(p, 'eur', '100.00');
    await fund(p, 'btc', '0.5');

    const funding = await transfer(p, { destinationExternalUserId: 'alice', currency: 'eur', amount: '60.25' });
    await transfer(p, { destinationExternalUserId: 'alice', currency: 'BTC', amount: 0.12345678 });
    const p2p = await transfer(p, { sourceExternalUserId: 'alice', destinationExternalUserId: 'bob', currency: 'eur', amount: 10.05 });
    const collection = await transfer(p, { sourceExternalUserId: 'bob', currency: 'eur', amount: '0.05' });

    expect(await amounts(p)).toMatchObject({ eur: '39.80', btc: '0.37654322' });
    expect(await amounts(p, 'alice')).toMatchObject({ eur: '50.20', btc: '0.12345678' });
    expect(await amounts(p, 'bob')).toMatchObject({ eur: '10.00' });

    const details = await p.call('GET', `/v1/transfer/details/${p2p}`);
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({
      transferId: p2p, status: 'SUCCESSFUL', amount: '10.05', currency: 'eur',
      sourceExternalUserId: 'alice', destinationExternalUserId: 'bob',
    });
    expect((await p.call('GET', `/v1/transfer/details/${funding}`)).body).toMatchObject({ sourceExternalUserId: null, destinationExternalUserId: 'alice', amount: '60.25' });
    expect((await p.call('GET', `/v1/transfer/details/${collection}`)).body).toMatchObject({ sourceExternalUserId: 'bob', destinationExternalUserId: null });

    const events = await t.db.query<{ path: string; payload: any }>(`SELECT path, payload FROM events WHERE partner_id = $1 AND type = 'transfer.status'`, [p.id]);
    const event = events.find((e) => e.payload.id === p2p);
    expect(event?.path).toBe('/transfer-webhook');
    expect(event?.payload).toMatchObject({ id: p2p, sourceExternalUserId: 'alice', destinationExternalUserId: 'bob', amount: 10.05, currency: 'eur', status: 'SUCCESSFUL' });
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it("uses a KYC user's EUR balance only once KYC is approved", async () => {
    const p = await t.createPartner('KYC transfers');
    await createUser(p, 'kyc-user', 'KYC');
    await fund(p, 'eur', '20.00');
    const before = await amounts(p);
    expectError(await p.call('POST', '/v1/transfer', { destinationExternalUserId: 'kyc-user', currency: 'eur', amount: '5' }), 400, 'P612');
    expect(await amounts(p)).toEqual(before);
    // Crypto balances are usable from the start.
    await fund(p, 'eth', '1');
    await transfer(p, { destinationExternalUserId: 'kyc-user', currency: 'eth', amount: '0.5' });
    await approveKyc(p, 'kyc-user');
    await transfer(p, { destinationExternalUserId: 'kyc-user', currency: 'eur', amount: '5' });
    expect(await amounts(p, 'kyc-user')).toMatchObject({ eur: '5.00', eth: '0.50000000' });
  });

  it('refuses bad input and foreign users with documented errors, moving nothing', async () => {
    const p = await t.createPartner('Transfer errors');
    const other = await t.createPartner('Transfer errors, other');
    await createUser(p, 'carol');
    await createUser(other, 'mallory');
    await fund(p, 'eur', '10.00');
    const before = { partner: await amounts(p), carol: await amounts(p, 'carol'), mallory: await amounts(other, 'mallory') };
    const cases: [unknown, number, string][] = [
      [{ currency: 'eur', amount: '1' }, 400, 'P424'],
      [{ sourceExternalUserId: '', destinationExternalUserId: '', currency: 'eur', amount: '1' }, 400, 'P403'],
      [{ sourceExternalUserId: 'carol', destinationExternalUserId: 'carol', currency: 'eur', amount: '1' }, 400, 'P628'],
      [{ destinationExternalUserId: 'nobody', currency: 'eur', amount: '1' }, 400, 'P412'],
      [{ destinationExternalUserId: 'mallory', currency: 'eur', amount: '1' }, 400, 'P412'],
      [{ sourceExternalUserId: 'mallory', currency: 'eur', amount: '1' }, 400, 'P412'],
      [{ destinationExternalUserId: 'carol', currency: 'gbp', amount: '1' }, 400, 'P403'],
      [{ destinationExternalUserId: 'carol', currency: 'eur', amount: '1.001' }, 400, 'P403'],
      [{ destinationExternalUserId: 'carol', currency: 'eur', amount: 0 }, 400, 'P403'],
      [{ destinationExternalUserId: 'carol', currency: 'eur', amount: '-1' }, 400, 'P403'],
      [{ destinationExternalUserId: 'carol', currency: 'eur' }, 400, 'P403'],
      [{ destinationExternalUserId: 'carol', currency: 'eur', amount: '10.01' }, 400, 'P433'],
      [{ sourceExternalUserId: 'carol', currency: 'eur', amount: '0.01' }, 400, 'P433'],
      [{ destinationExternalUserId: 'carol', currency: 'eur', amount: '1', note: 'x' }, 400, 'P403'],
    ];
    for (const [body, status, code] of cases) expectError(await p.call('POST', '/v1/transfer', body), status, code);
    expect({ partner: await amounts(p), carol: await amounts(p, 'carol'), mallory: await amounts(other, 'mallory') }).toEqual(before);

    // Suspended and deleted users neither send nor receive.
    await createUser(p, 'sue');
    await createUser(p, 'gone');
    expect((await p.call('PATCH', '/v1/user/suspend/sue')).status).toBe(200);
    expect((await p.call('DELETE', '/v1/user/gone')).status).toBeLessThan(300);
    expectError(await p.call('POST', '/v1/transfer', { destinationExternalUserId: 'sue', currency: 'eur', amount: '1' }), 400, 'P455');
    expectError(await p.call('POST', '/v1/transfer', { sourceExternalUserId: 'sue', destinationExternalUserId: 'carol', currency: 'eur', amount: '1' }), 400, 'P455');
    expectError(await p.call('POST', '/v1/transfer', { destinationExternalUserId: 'gone', currency: 'eur', amount: '1' }), 400, 'P610');
    expect(await amounts(p)).toEqual(before.partner);

    const id = await transfer(p, { destinationExternalUserId: 'carol', currency: 'eur', amount: '1' });
    expectError(await other.call('GET', `/v1/transfer/details/${id}`), 404, 'P625');
    expectError(await p.call('GET', '/v1/transfer/details/0190a0a0-0000-7000-8000-000000000000'), 404, 'P625');
    expectError(await p.call('GET', '/v1/transfer/details/42'), 404, 'P625');
  });

  it("checks a remembered user's status in the write itself: suspended, unsuspended, deleted", async () => {
    const p = await t.createPartner('Remembered users');
    await createUser(p, 'rita');
    await createUser(p, 'sam');
    await fund(p, 'eur', '20.00');
    // First transfers: the sides are read and checked, then their ids are remembered.
    await transfer(p, { destinationExternalUserId: 'rita', currency: 'eur', amount: '5' });
    await transfer(p, { sourceExternalUserId: 'rita', destinationExternalUserId: 'sam', currency: 'eur', amount: '1' });
    const written = async () => (await t.db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM transfers WHERE partner_id = $1) + (SELECT count(*) FROM events WHERE partner_id = $1 AND type = 'transfer.status') AS n`,
      [p.id],
    ))[0].n;
    const before = { partner: await amounts(p), rita: await amounts(p, 'rita'), sam: await amounts(p, 'sam'), written: await written() };

    expect((await p.call('PATCH', '/v1/user/suspend/rita')).status).toBe(200);
    expectError(await p.call('POST', '/v1/transfer', { destinationExternalUserId: 'rita', currency: 'eur', amount: '1' }), 400, 'P455');
    expectError(await p.call('POST', '/v1/transfer', { sourceExternalUserId: 'rita', destinationExternalUserId: 'sam', currency: 'eur', amount: '1' }), 400, 'P455');
    // The status comes before the balance: a suspended user short of money is still P455.
    expectError(await p.call('POST', '/v1/transfer', { sourceExternalUserId: 'rita', currency: 'eur', amount: '1000' }), 400, 'P455');
    expect({ partner: await amounts(p), rita: await amounts(p, 'rita'), sam: await amounts(p, 'sam'), written: await written() }).toEqual(before);

    expect((await p.call('PATCH', '/v1/user/unsuspend/rita')).status).toBe(200);
    await transfer(p, { sourceExternalUserId: 'rita', destinationExternalUserId: 'sam', currency: 'eur', amount: '1' });
    expect((await amounts(p, 'sam')).eur).toBe('2.00');

    // Deleting sam sweeps its 2.00 EUR to the partner; sam can neither receive nor send after.
    expect((await p.call('DELETE', '/v1/user/sam')).status).toBeLessThan(300);
    expectError(await p.call('POST', '/v1/transfer', { sourceExternalUserId: 'rita', destinationExternalUserId: 'sam', currency: 'eur', amount: '1' }), 400, 'P610');
    expectError(await p.call('POST', '/v1/transfer', { sourceExternalUserId: 'sam', currency: 'eur', amount: '1' }), 400, 'P610');
    expect((await amounts(p, 'rita')).eur).toBe('3.00');
    expect((await amounts(p)).eur).toBe('17.00');
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });

  it('moves money once for a retried request with the same Idempotency-Key', async () => {
    const p = await t.createPartner('Transfer retry');
    await createUser(p, 'dave');
    await fund(p, 'eur', '10.00');
    const body = { destinationExternalUserId: 'dave', currency: 'eur', amount: '4.00' };
    const first = await transfer(p, body, { 'idempotency-key': 'tr-1' });
    const second = await transfer(p, body, { 'idempotency-key': 'tr-1' });
    expect(second).toBe(first);
    expect((await amounts(p, 'dave')).eur).toBe('4.00');
    expect((await amounts(p)).eur).toBe('6.00');
  });

  it('never overdraws with 200 concurrent transfers from one balance', async () => {
    const p = await t.createPartner('Hot source');
    await createUser(p, 'hot');
    await createUser(p, 'sink-a');
    await createUser(p, 'sink-b');
    await fund(p, 'eur', '150.00');
    await transfer(p, { destinationExternalUserId: 'hot', currency: 'eur', amount: '150.00' });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        p.call('POST', '/v1/transfer', { sourceExternalUserId: 'hot', destinationExternalUserId: i % 2 ? 'sink-a' : 'sink-b', currency: 'eur', amount: '1.00' }),
      ),
    );
    expect(results.filter((r) => r.status === 200).length).toBe(150);
    expect(results.filter((r) => r.body?.errorCode === 'P433').length).toBe(50);
    const [hot, a, b] = [await amounts(p, 'hot'), await amounts(p, 'sink-a'), await amounts(p, 'sink-b')];
    expect(hot.eur).toBe('0.00');
    expect(Number(a.eur) * 100 + Number(b.eur) * 100).toBe(15000);
    expect((await checkInvariant(t.db)).balanced).toBe(true);
  });
});
