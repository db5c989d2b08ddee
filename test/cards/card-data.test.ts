import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPostgres, openPglite, type Db } from '../../src/kernel/db.js';
import { callAt, crashSetup, createPartnerAt, kill, startServer } from '../jobs/process.js';
import { request } from '../support/app.js';
import { kycBody } from '../support/users.js';

/**
 * Card data as an issuer keeps it: after creating (with a replayed Idempotency-Key), revealing,
 * changing the PIN and using a card on a server logging at trace level, neither its database nor
 * its log output holds the card number, the CVV or the PIN in clear.
 */
const { pg: PG, dataDir, env, children, cleanUp } = await crashSetup('centum_cards_data');
afterAll(cleanUp);

const PIN = '9371';
const NEW_PIN = '6058';

/** Every string inside a JSON value (numbers are counts, amounts in cents, statuses: not card data). */
function leaves(value: unknown, out: string[] = []): string[] {
  if (value === null || value === undefined) return out;
  if (typeof value === 'object') {
    for (const v of Object.values(value as Record<string, unknown>)) leaves(v, out);
  } else if (typeof value === 'string') {
    out.push(value);
  }
  return out;
}

describe('card data at rest and in logs', () => {
  it('card number, CVV and PIN appear nowhere in clear: not in any table, the idempotency store or the log', async () => {
    const server = await startServer({ ...env, LOG_LEVEL: 'trace', CENTUM_WORKER: 'false' });
    children.push(server);
    const partner = await createPartnerAt(server.url);
    const call = callAt(server.url, partner.apiKey);
    const iban = (await call('GET', '/v1/partner/balances')).body.fiatBalances[0].iban;
    expect((await call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '500.00' })).status).toBe(201);
    expect((await call('POST', '/v1/user/balances/crypto-and-fiat', kycBody('holder'))).status).toBe(200);
    expect((await call('POST', '/v1/sandbox/kyc-decision', { externalUserId: 'holder', decision: 'APPROVED' })).status).toBe(200);
    expect((await call('POST', '/v1/transfer', { destinationExternalUserId: 'holder', currency: 'eur', amount: '200.00' })).status).toBe(200);

    const create = { externalUserId: 'holder', label: 'Groceries', pin: PIN };
    const headers = { 'x-api-key': partner.apiKey, 'idempotency-key': 'card-create-1' };
    const first = await request(`${server.url}/v1/card/virtual`, 'POST', create, headers);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const replay = await request(`${server.url}/v1/card/virtual`, 'POST', create, headers);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('cache-control')).toBe('no-store');
    expect(replay.body).toEqual(first.body);
    const { cardId, cardNumber, cvv } = first.body;
    expect((await call('GET', '/v1/card/all/holder')).body.cards).toHaveLength(1);

    expect((await call('GET', `/v1/card/details/holder/${cardId}`)).body.cardNumber).toBe(cardNumber);
    expect((await call('PATCH', '/v1/card/pin', { externalUserId: 'holder', cardId, pin: NEW_PIN })).status).toBe(200);
    expect((await call('PATCH', '/v1/card/pin', { externalUserId: 'holder', cardId, pin: `${NEW_PIN}1` })).status).toBe(400);
    const use = (extra: Record<string, unknown>) => call('POST', '/v1/sandbox/card/authorizations', {
      cardId, amount: '12.00', currency: 'eur', channel: 'ATM', merchantName: 'Cash point', mcc: '6011', ...extra,
    });
    expect((await use({ pin: PIN })).body.declineReason).toBe('INCORRECT_PIN');
    const ok = await use({ pin: NEW_PIN });
    expect(ok.body.status).toBe('PENDING');
    expect((await call('POST', `/v1/sandbox/card/authorizations/${ok.body.authorizationId}/capture`, {})).status).toBe(200);
    expect((await call('POST', '/v1/sandbox/clock/advance', { seconds: 40 * 86_400 })).status).toBe(200);
    await kill(server, 'SIGTERM');

    const log = server.output();
    // The log is there: one line per request (the server logs at trace level here), with the card routes.
    expect(log.split('\n').filter((l) => l.includes('"level"')).length).toBeGreaterThan(12);
    expect(log).toContain('"route":"/v1/card/virtual"');
    for (const secret of [cardNumber, cardNumber.slice(0, 12), `"cvv":"${cvv}"`, `"pin":"${PIN}"`, `"pin":"${NEW_PIN}"`]) {
      expect(log.includes(secret), `log contains ${secret.length > 8 ? 'card number' : 'secret'}`).toBe(false);
    }

    const db: Db = PG ? connectPostgres(PG, { poolSize: 2 }) : await openPglite(path.join(dataDir!, 'pglite'));
    try {
      const tables = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['cards', 'card_authorizations', 'idempotency_keys', 'events']));
      const hexPan = Buffer.from(cardNumber).toString('hex');
      let values = 0;
      for (const { table_name } of tables) {
        const rows = await db.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM "${table_name}" t`);
        for (const row of rows) {
          const text = String(row.j);
          expect(text.includes(cardNumber), `${table_name} holds the card number`).toBe(false);
          expect(text.includes(hexPan), `${table_name} holds the card number in hex`).toBe(false);
          for (const leaf of leaves(JSON.parse(text))) {
            values++;
            // Stored JSON (the idempotency answer, event payloads) is parsed too.
            const inner = leaf.startsWith('{') ? leaves(JSON.parse(leaf)) : [leaf];
            for (const v of inner) {
              expect(v.includes(cardNumber), `${table_name}`).toBe(false);
              expect([cvv, PIN, NEW_PIN], `${table_name} holds a CVV or PIN value`).not.toContain(v);
            }
          }
        }
      }
      expect(values).toBeGreaterThan(100);
      const [key] = await db.query<{ response_body: string }>(`SELECT response_body FROM idempotency_keys WHERE key = 'card-create-1'`);
      expect(key.response_body.startsWith('sealed:')).toBe(true);
      const [card] = await db.query<{ last_digits: string; pan_sealed: Buffer }>('SELECT last_digits, pan_sealed FROM cards WHERE id = $1', [cardId]);
      expect(card.last_digits).toBe(cardNumber.slice(-4));
      expect(card.pan_sealed.length).toBeGreaterThan(28);
    } finally {
      await db.close();
    }
  }, 180_000);
});
