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
}

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
];
