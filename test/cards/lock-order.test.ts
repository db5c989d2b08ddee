import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { checkInvariant } from '../../src/ledger/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { fund } from '../support/balances.js';
import { isolatedDatabase } from '../support/database.js';
import { cardUser, createCard } from './helpers.js';

/**
 * The card paths in the global lock order (docs/decisions.md): authorizations, increments, captures,
 * reversals, refunds, block/unblock, limits, PIN, internal transfers and suspensions of the same
 * user, all at once from many clients: no deadlock in PostgreSQL, no failure, exact money. Needs
 * real PostgreSQL (DATABASE_URL); a database of its own so the deadlock counter is its alone.
 */
const SERVER = process.env.DATABASE_URL;
const own = SERVER ? await isolatedDatabase('centum_cards_locks', SERVER) : undefined;
let t: TestApp | undefined;
afterAll(async () => {
  await t?.close();
  await own?.drop();
});

async function deadlocks(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n;
  } finally {
    await client.end();
  }
}

describe.skipIf(!own)('card paths in the lock order (PostgreSQL)', () => {
  it('a mix of every card path on one user never deadlocks, never fails, and the money is exact', async () => {
    t = await startTestApp({ DATABASE_URL: own!.url, DB_POOL_SIZE: '20', CENTUM_SEPA_SETTLEMENT_SECONDS: '0' });
    const p = await t.createPartner('Card locks');
    await fund(p, 'eur', '2000.00');
    const user = await cardUser(p, '1000.00');
    const cards = [(await createCard(p, user, 'One')).cardId, (await createCard(p, user, 'Two')).cardId];
    for (const cardId of cards) {
      expect((await p.call('PATCH', '/v1/card/limits', { externalUserId: user, cardId, dailyTrxAll: 5000, monthlyTrxAll: 20000 })).status).toBe(200);
    }
    const before = await deadlocks(own!.url);
    const failures: unknown[] = [];
    let transferred = 0n;
    const check = (op: string, res: { status: number; body: any }) => {
      if (res.status >= 500 || res.body?.errorCode === 'P500' || res.body?.errorCode === 'P501') failures.push({ op, ...res });
      return res;
    };
    const authorize = async (cardId: string) => check('authorize', await p.call('POST', '/v1/sandbox/card/authorizations', {
      cardId, amount: '1.00', currency: 'eur', channel: 'POS', merchantName: 'Mix', mcc: '5411',
    }));
    const client = async (c: number) => {
      for (let i = 0; i < 12; i++) {
        const cardId = cards[(c + i) % 2];
        const auth = await authorize(cardId);
        const id = auth.body.authorizationId;
        switch ((c + i) % 6) {
          case 0: check('capture', await p.call('POST', `/v1/sandbox/card/authorizations/${id}/capture`, { amount: '0.50' })); break;
          case 1: check('reversal', await p.call('POST', `/v1/sandbox/card/authorizations/${id}/reversal`, {})); break;
          case 2: check('increment', await p.call('POST', `/v1/sandbox/card/authorizations/${id}/increment`, { amount: '0.25' })); break;
          case 3:
            check('capture', await p.call('POST', `/v1/sandbox/card/authorizations/${id}/capture`, {}));
            check('refund', await p.call('POST', `/v1/sandbox/card/authorizations/${id}/refund`, { amount: '0.50' }));
            break;
          case 4:
            check('block', await p.call('PATCH', '/v1/card/block', { externalUserId: user, cardId }));
            check('unblock', await p.call('PATCH', '/v1/card/unblock', { externalUserId: user, cardId }));
            check('limits', await p.call('PATCH', '/v1/card/limits', { externalUserId: user, cardId, dailyTrxEcom: 400 + i }));
            break;
          default:
            if (check('transfer in', await p.call('POST', '/v1/transfer', { destinationExternalUserId: user, currency: 'eur', amount: '1.00' })).status === 200) {
              transferred += 100n;
            }
            if (check('transfer out', await p.call('POST', '/v1/transfer', { sourceExternalUserId: user, currency: 'eur', amount: '1.00' })).status === 200) {
              transferred -= 100n;
            }
            check('pin', await p.call('PATCH', '/v1/card/pin', { externalUserId: user, cardId, pin: '1357' }));
        }
      }
    };
    const suspensions = async () => {
      for (let i = 0; i < 6; i++) {
        check('suspend', await p.call('PATCH', `/v1/user/suspend/${user}`));
        check('unsuspend', await p.call('PATCH', `/v1/user/unsuspend/${user}`));
      }
    };
    await Promise.all([...Array.from({ length: 10 }, (_, c) => client(c)), suspensions()]);
    expect((await p.call('GET', `/v1/card/all/${user}`)).body.cards.map((c: any) => c.status)).toEqual(['ACTIVE', 'ACTIVE']);
    expect(failures).toEqual([]);
    expect(await deadlocks(own!.url)).toBe(before);
    expect((await checkInvariant(t.db)).balanced).toBe(true);
    // The user's balance is exactly 1000 less every capture and hold, plus refunds and net transfers.
    const [money] = await t.db.query<{ captured: bigint; held: bigint; refunded: bigint }>(
      `SELECT coalesce(sum(amount) FILTER (WHERE status = 'CAPTURED'), 0) AS captured,
              coalesce(sum(amount) FILTER (WHERE status = 'PENDING'), 0) AS held,
              coalesce(sum(refunded), 0) AS refunded
       FROM card_authorizations WHERE card_id = ANY($1::uuid[])`, [cards],
    );
    const eur = (await p.call('GET', `/v1/user/balances/${user}`)).body.fiatBalances[0].amount;
    const expected = 100_000n - BigInt(money.captured) - BigInt(money.held) + BigInt(money.refunded) + transferred;
    expect(eur).toBe(`${expected / 100n}.${String(expected % 100n).padStart(2, '0')}`);
  }, 240_000);
});
