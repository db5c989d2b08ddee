import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/kernel/errors.js';
import { REFUSALS } from '../../src/money/refusals.js';
import { knownBalance, rememberBalance } from '../../src/modules/users/money-movers.js';
import { startTestApp, type ApiResponse, type TestApp, type TestPartner } from '../support/app.js';
import { amounts, balances, expectError, fund } from '../support/balances.js';
import { createKycUser, createUser, uniqueId } from '../support/users.js';

/**
 * Every entry of REFUSALS (src/money/refusals.ts), made to happen through HTTP on both paths that
 * check it, which must answer the same body:
 * - the code path: an internal transfer whose user has never been a side in this currency, so the
 *   transfer reads its sides and checks them in code (as SEPA transfers, withdrawals and exchanges
 *   do), and one more endpoint refusing the same state;
 * - the SQL path: an internal transfer whose sides' ids are remembered, so the refusal comes from
 *   the posting's guard (`moneyMoverGuard`) in the one statement.
 * The cases are keyed by the refusal's name: a refusal added to the list without a case fails here.
 *
 * Where a state can follow a successful transfer (deleted, suspended, KYC rejected), the ids are
 * remembered by one. States that cannot (no such user, no such balance, a balance never active, a
 * closed balance whose user is not deleted) are arranged directly: the ids a transfer would
 * remember are put in the process's memory, and a balance row is deleted or closed in the
 * database. Those branches of the guard are otherwise unreachable, which is why they are tested.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ CENTUM_FX_MODE: 'fixed' });
});
afterAll(() => t.close());

type Currency = 'eur' | 'eth';

interface Pair {
  /** Never a side in `currency`: checked in code. */
  fresh: string;
  /** Remembered: checked by the statement's guard. */
  known: string;
}

interface Case {
  currency: Currency;
  /** Puts both users of a pair into the refused state, `known` remembered and `fresh` not. */
  arrange(p: TestPartner): Promise<Pair>;
  /** Another endpoint, on the code path, for the same state. */
  elsewhere(p: TestPartner, fresh: string): Promise<ApiResponse>;
  elsewhereName: string;
}

const transfer = (p: TestPartner, body: object) => p.call('POST', '/v1/transfer', body);

async function succeed(p: TestPartner, body: object) {
  const res = await transfer(p, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** Two users of a model; `known` gets one transfer in `currency`, which remembers its ids. */
async function pair(p: TestPartner, model: 'NON_KYC' | 'KYC' | 'KYC_APPROVED', currency: Currency): Promise<Pair> {
  const make = async () => {
    const id = uniqueId(model.toLowerCase());
    if (model === 'KYC_APPROVED') await createKycUser(p, id);
    else await createUser(p, id, model);
    return id;
  };
  const users = { fresh: await make(), known: await make() };
  await succeed(p, { destinationExternalUserId: users.known, currency, amount: currency === 'eur' ? '1.00' : '0.01' });
  return users;
}

/** What a transfer would remember for a user: its id and its balance's id in `currency`. */
async function idsOf(p: TestPartner, externalUserId: string, currency: Currency) {
  const [row] = await t.db.query<{ user_id: string; account_id: string }>(
    `SELECT u.id AS user_id, a.id AS account_id FROM users u JOIN accounts a ON a.user_id = u.id AND a.currency = $3
     WHERE u.partner_id = $1 AND u.external_user_id = $2`,
    [p.id, externalUserId, currency],
  );
  return { userId: row.user_id, accountId: row.account_id };
}

const userState = (action: (p: TestPartner, id: string) => Promise<ApiResponse>) => async (p: TestPartner, users: Pair) => {
  for (const id of [users.fresh, users.known]) expect((await action(p, id)).status).toBeLessThan(300);
  return users;
};

const sepaTransferFrom = (p: TestPartner, externalUserId: string) => p.call('POST', '/v1/sepa-transfer', {
  sourceExternalUserId: externalUserId, amount: '1.00', currency: 'eur', destinationIban: 'DE89370400440532013000', transferTitle: 'Rent',
});

const CASES: Record<string, Case> = {
  user_missing: {
    currency: 'eur',
    arrange: async (p) => {
      const known = uniqueId('ghost');
      rememberBalance(p.id, known, 'eur', { userId: randomUUID(), accountId: randomUUID() });
      return { fresh: uniqueId('nobody'), known };
    },
    elsewhere: sepaTransferFrom, elsewhereName: 'SEPA transfer',
  },
  user_deleted: {
    currency: 'eur',
    arrange: async (p) => userState((p, id) => p.call('DELETE', `/v1/user/${id}`))(p, await pair(p, 'NON_KYC', 'eur')),
    elsewhere: sepaTransferFrom, elsewhereName: 'SEPA transfer',
  },
  user_suspended: {
    currency: 'eur',
    arrange: async (p) => userState((p, id) => p.call('PATCH', `/v1/user/suspend/${id}`))(p, await pair(p, 'NON_KYC', 'eur')),
    elsewhere: (p, id) => p.call('GET', `/v1/exchange/get-lock/${id}?currencyFrom=eur&currencyTo=btc&amount=10`),
    elsewhereName: 'exchange lock',
  },
  user_not_verified: {
    currency: 'eth',
    arrange: async (p) => userState((p, id) => p.call('POST', '/v1/sandbox/kyc-decision', { externalUserId: id, decision: 'REJECTED' }))(
      p, await pair(p, 'KYC', 'eth'),
    ),
    elsewhere: (p, id) => p.call('POST', '/v1/crypto-withdrawal', {
      sourceExternalUserId: id, currency: 'eth', amount: '0.01', walletAddress: '0x5ab11d6cC11F2fF5Fcb79240ab232d95B667F160',
      name: 'Ann Lee', walletType: 'CUSTODIAL', receiverType: 'NATURAL',
    }),
    elsewhereName: 'crypto withdrawal',
  },
  balance_missing: {
    currency: 'eur',
    arrange: async (p) => {
      const users = { fresh: uniqueId('no-eur'), known: uniqueId('no-eur') };
      for (const id of [users.fresh, users.known]) await createUser(p, id);
      rememberBalance(p.id, users.known, 'eur', await idsOf(p, users.known, 'eur'));
      for (const id of [users.fresh, users.known]) {
        const { accountId } = await idsOf(p, id, 'eur');
        await t.db.query('DELETE FROM accounts WHERE id = $1', [accountId]);
      }
      return users;
    },
    elsewhere: sepaTransferFrom, elsewhereName: 'SEPA transfer',
  },
  balance_closed: {
    currency: 'eur',
    arrange: async (p) => {
      const users = await pair(p, 'KYC_APPROVED', 'eur');
      for (const id of [users.fresh, users.known]) {
        await t.db.query(`UPDATE accounts SET status = 'CLOSED' WHERE id = $1`, [(await idsOf(p, id, 'eur')).accountId]);
      }
      return users;
    },
    elsewhere: async (p, id) => {
      const [row] = await t.db.query<{ iban: string }>('SELECT iban FROM accounts WHERE id = $1', [(await idsOf(p, id, 'eur')).accountId]);
      return p.call('POST', '/v1/sandbox/sepa-deposit', { iban: row.iban, amount: '1.00' });
    },
    elsewhereName: 'SEPA deposit',
  },
  balance_not_active: {
    currency: 'eur',
    arrange: async (p) => {
      // A KYC user before the decision: its EUR balance waits to be activated.
      const users = { fresh: uniqueId('waiting'), known: uniqueId('waiting') };
      for (const id of [users.fresh, users.known]) await createUser(p, id, 'KYC');
      rememberBalance(p.id, users.known, 'eur', await idsOf(p, users.known, 'eur'));
      return users;
    },
    elsewhere: sepaTransferFrom, elsewhereName: 'SEPA transfer',
  },
};

describe('refusals of a money movement', () => {
  it('has a case for every refusal in the list, in the list order', () => {
    expect(Object.keys(CASES)).toEqual(REFUSALS.map((r) => r.name));
  });

  for (const refusal of REFUSALS) {
    const c = CASES[refusal.name];
    it(`${refusal.name}: ${refusal.code} from the code path, the statement's guard and ${c?.elsewhereName}`, async () => {
      const p = await t.createPartner(`Refusal ${refusal.name}`);
      await fund(p, c.currency, c.currency === 'eur' ? '100.00' : '1');
      // The partner's side is remembered after any transfer of its own in the currency.
      const warm = uniqueId('warm');
      await createUser(p, warm);
      await succeed(p, { destinationExternalUserId: warm, currency: c.currency, amount: c.currency === 'eur' ? '1.00' : '0.01' });
      const { fresh, known } = await c.arrange(p);
      const before = await amounts(p);

      expect(knownBalance(p.id, null, c.currency)).toBeDefined();
      expect(knownBalance(p.id, known, c.currency), 'known: the SQL path').toBeDefined();
      expect(knownBalance(p.id, fresh, c.currency), 'fresh: the code path').toBeUndefined();
      const amount = c.currency === 'eur' ? '1.00' : '0.01';
      const answers = {
        codeTo: await transfer(p, { destinationExternalUserId: fresh, currency: c.currency, amount }),
        sqlTo: await transfer(p, { destinationExternalUserId: known, currency: c.currency, amount }),
        codeFrom: await transfer(p, { sourceExternalUserId: fresh, currency: c.currency, amount }),
        sqlFrom: await transfer(p, { sourceExternalUserId: known, currency: c.currency, amount }),
      };
      for (const res of Object.values(answers)) expectError(res, ERRORS[refusal.code].status, refusal.code);
      // The same answer, message included, on both paths (each names its own request).
      const same = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });
      expect(same(answers.sqlTo.body)).toEqual(same(answers.codeTo.body));
      expect(same(answers.sqlFrom.body)).toEqual(same(answers.codeFrom.body));
      expect(knownBalance(p.id, fresh, c.currency), 'a refused side is not remembered').toBeUndefined();

      expectError(await c.elsewhere(p, fresh), ERRORS[refusal.code].status, refusal.code);
      expect(await amounts(p)).toEqual(before);
    });
  }

  it('reports every side\'s user before any side\'s balance, the source first, on both paths', async () => {
    const p = await t.createPartner('Refusal precedence');
    await fund(p, 'eur', '100.00');
    const ids = Object.fromEntries(['closedA', 'suspendedA', 'closedB', 'suspendedB'].map((name) => [name, uniqueId(name)]));
    for (const id of Object.values(ids)) await createUser(p, id);
    // The A users are remembered (the guard decides), the B users are not (the code decides).
    await succeed(p, { destinationExternalUserId: ids.closedA, currency: 'eur', amount: '5.00' });
    await succeed(p, { destinationExternalUserId: ids.suspendedA, currency: 'eur', amount: '5.00' });
    for (const id of [ids.closedA, ids.closedB]) {
      await t.db.query(`UPDATE accounts SET status = 'CLOSED' WHERE id = $1`, [(await idsOf(p, id, 'eur')).accountId]);
    }
    for (const id of [ids.suspendedA, ids.suspendedB]) expect((await p.call('PATCH', `/v1/user/suspend/${id}`)).status).toBe(200);

    for (const side of ['A', 'B']) {
      const closed = ids[`closed${side}`];
      const suspended = ids[`suspended${side}`];
      // A balance refusal of the source comes after a user refusal of the destination...
      expectError(await transfer(p, { sourceExternalUserId: closed, destinationExternalUserId: suspended, currency: 'eur', amount: '1' }), 400, 'P455');
      expectError(await transfer(p, { sourceExternalUserId: suspended, destinationExternalUserId: closed, currency: 'eur', amount: '1' }), 400, 'P455');
      // ...and a status comes before the money: a suspended user short of it is P455, not P433.
      expectError(await transfer(p, { sourceExternalUserId: suspended, currency: 'eur', amount: '1000' }), 400, 'P455');
      expectError(await transfer(p, { sourceExternalUserId: closed, currency: 'eur', amount: '1000' }), 400, 'P610');
    }
  });

  it('refuses a crypto withdrawal from a balance that is not active (P612), as every path does', async () => {
    const p = await t.createPartner('Refusal withdrawal');
    const id = uniqueId('inactive');
    await createUser(p, id);
    await fund(p, 'eth', '1');
    await succeed(p, { destinationExternalUserId: id, currency: 'eth', amount: '0.5' });
    const eth = (await balances(p, id)).cryptoBalances.find((b: any) => b.name === 'eth');
    await t.db.query(`UPDATE accounts SET status = 'WAITING_TO_BE_ACTIVATED' WHERE id = $1`, [eth.id]);
    const res = await p.call('POST', '/v1/crypto-withdrawal', {
      sourceExternalUserId: id, currency: 'eth', amount: '0.01', walletAddress: '0x5ab11d6cC11F2fF5Fcb79240ab232d95B667F160',
      name: 'Ann Lee', walletType: 'CUSTODIAL', receiverType: 'NATURAL',
    });
    expectError(res, 400, 'P612');
    expect(res.body.errorMessage).toBe('The eth balance is not active');
    // The same balance as a transfer's side, remembered now: the guard answers alike.
    expect(await transfer(p, { sourceExternalUserId: id, currency: 'eth', amount: '0.01' }))
      .toMatchObject({ status: 400, body: { ...res.body, requestId: expect.any(String) } });
  });
});
