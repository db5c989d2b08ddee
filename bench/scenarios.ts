import { randomUUID } from 'node:crypto';

/**
 * Load scenarios: each names one request and how to build it from the fixtures. Add a scenario by
 * appending to SCENARIOS; `moneyMoving` ones are compared with the raw SQL baseline.
 */

export interface Fixtures {
  apiKey: string;
  /** Users created for the run, with their external ids and EUR IBANs (KYC approved). */
  users: { externalUserId: string; iban: string }[];
  partnerIban: string;
}

export interface BenchRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

export interface Scenario {
  name: string;
  moneyMoving: boolean;
  /** Called for every request, so each may differ (another user, another key). */
  request(fixtures: Fixtures, n: number): BenchRequest;
  /** Optional set-up before the run (funding), through the API with the bench partner's key. */
  prepare?(fixtures: Fixtures, call: (method: string, path: string, body?: unknown) => Promise<any>): Promise<void>;
  /** Optional work after the run whose figure is reported beside the table (settling what the run started, say). */
  finish?(fixtures: Fixtures, call: (method: string, path: string, body?: unknown) => Promise<any>): Promise<string>;
}

/** Payment links paid by the payment-link scenario, made in its prepare step. */
const PAYMENT_LINKS = 500;
const paymentLinks: string[] = [];

/** Funds every user with `perUser` EUR: one SEPA deposit to the partner's IBAN, then internal transfers. */
async function fundUsers(fixtures: Fixtures, call: (method: string, path: string, body?: unknown) => Promise<any>, perUser: number) {
  await call('POST', '/v1/sandbox/sepa-deposit', { iban: fixtures.partnerIban, amount: String(perUser * fixtures.users.length) });
  for (const user of fixtures.users) {
    await call('POST', '/v1/transfer', { destinationExternalUserId: user.externalUserId, currency: 'eur', amount: String(perUser) });
  }
}

/** The cards of the card authorization scenario, made by its prepare step. */
const cardIds: string[] = [];

export const SCENARIOS: Scenario[] = [
  {
    name: 'GET /v1/partner/balances',
    moneyMoving: false,
    request: () => ({ method: 'GET', path: '/v1/partner/balances' }),
  },
  {
    name: 'POST /v1/sandbox/sepa-deposit (to a user IBAN, credited at once)',
    moneyMoving: true,
    request: (f, n) => ({
      method: 'POST',
      path: '/v1/sandbox/sepa-deposit',
      body: { iban: f.users[n % f.users.length].iban, amount: '1.00', reference: randomUUID() },
    }),
  },
  {
    name: 'POST /v1/transfer user -> user, uniform over all users',
    moneyMoving: true,
    prepare: (f, call) => fundUsers(f, call, 1000),
    request: (f, n) => {
      const count = f.users.length;
      const source = n % count;
      // An offset from 1 to count - 1 spreads the destinations and never picks the source.
      const destination = (source + 1 + ((n * 7) % (count - 1))) % count;
      return {
        method: 'POST',
        path: '/v1/transfer',
        body: { sourceExternalUserId: f.users[source].externalUserId, destinationExternalUserId: f.users[destination].externalUserId, currency: 'eur', amount: '0.01' },
      };
    },
  },
  {
    name: "POST /v1/transfer one hot source (the partner's EUR) -> all users",
    moneyMoving: true,
    prepare: async (f, call) => {
      await call('POST', '/v1/sandbox/sepa-deposit', { iban: f.partnerIban, amount: '100000' });
    },
    request: (f, n) => ({
      method: 'POST',
      path: '/v1/transfer',
      body: { destinationExternalUserId: f.users[n % f.users.length].externalUserId, currency: 'eur', amount: '0.01' },
    }),
  },
  {
    name: 'POST /v1/payment-link (create a link)',
    moneyMoving: false,
    request: (_f, n) => ({ method: 'POST', path: '/v1/payment-link', body: { amount: '25.00', reference: `bench-${n}` } }),
  },
  {
    // BTC blocks are 10 minutes apart: nothing confirms during the run; the clock advance after it
    // confirms, converts and credits every transfer (one posting each), timed as the finish figure.
    name: 'POST /v1/sandbox/payment-link/{id}/pay (a BTC transfer to a link, seen; settled after the run)',
    moneyMoving: true,
    prepare: async (_f, call) => {
      paymentLinks.length = 0;
      for (let i = 0; i < PAYMENT_LINKS; i++) paymentLinks.push((await call('POST', '/v1/payment-link', { amount: '100.00' })).paymentLinkId);
    },
    request: (_f, n) => ({
      method: 'POST', path: `/v1/sandbox/payment-link/${paymentLinks[n % paymentLinks.length]}/pay`,
      body: { currency: 'btc', network: 'btc', amount: '0.0001' },
    }),
    finish: async (_f, call) => {
      const started = performance.now();
      await call('POST', '/v1/sandbox/clock/advance', { seconds: 7200 });
      let settled = 0;
      for (const id of paymentLinks) {
        // The in-process worker may still hold a few of the due jobs: wait for this link's transfers.
        for (;;) {
          const link = await call('GET', `/v1/payment-link/details/${id}`);
          if (link.transactions.every((t: { status: string }) => t.status === 'SETTLED')) {
            settled += link.transactions.length;
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const seconds = (performance.now() - started) / 1000;
      return `payment-link settlement: ${settled} transfers to ${paymentLinks.length} links confirmed (2 blocks each), converted, `
        + `posted and reported in ${seconds.toFixed(1)} s after the clock advance: ${(settled / seconds).toFixed(0)} transfers/s`;
    },
  },
  {
    // Each user's one card, spread uniformly: the card row, the user row and one EUR balance are
    // locked per authorization (lock order: user, card, hold, balance), as a card network would.
    name: 'POST /v1/sandbox/card/authorizations (hold on the cardholder\'s EUR), uniform over all cards',
    moneyMoving: true,
    prepare: async (f, call) => {
      await fundUsers(f, call, 100);
      cardIds.length = 0;
      for (const user of f.users) {
        const card = await call('POST', '/v1/card/virtual', { externalUserId: user.externalUserId, label: 'Bench card', pin: '4821' });
        cardIds.push(card.cardId);
      }
    },
    request: (_f, n) => ({
      method: 'POST',
      path: '/v1/sandbox/card/authorizations',
      body: { cardId: cardIds[n % cardIds.length], amount: '0.01', currency: 'eur', channel: 'POS', merchantName: 'Bench shop', mcc: '5411' },
    }),
  },
];
