import { CentumError, createCentum, type ErrorCode, type ItemOf, type Schema } from '../../src/index.js';

// What a partner writes: every call typed by the contract, answers typed, errors narrowed by P-code.
const centum = createCentum({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'ck_test' });

export async function flow(): Promise<string> {
  const { data: balances } = await centum.GET('/v1/partner/balances');
  const iban: string | null | undefined = balances.fiatBalances[0]?.iban;
  const { data: lock } = await centum.GET('/v1/exchange/get-lock/{externalUserId}', {
    params: { path: { externalUserId: 'u-1' }, query: { currencyFrom: 'eur', currencyTo: 'btc', amount: '50' } },
  });
  const { data, response } = await centum.POST('/v1/exchange', {
    body: { sourceExternalUserId: 'u-1', currencyFrom: 'eur', currencyTo: 'btc', amount: '50', lockId: lock.lockId },
    headers: { 'Idempotency-Key': 'order-42-exchange' },
  });
  const replayed: boolean = response.headers.get('idempotent-replayed') === 'true';
  return `${iban} ${data.exchangeId} ${replayed}`;
}

export async function errors(): Promise<ErrorCode | undefined> {
  try {
    await centum.POST('/v1/transfer', { body: { destinationExternalUserId: 'u-1', currency: 'eur', amount: '10.00' } });
  } catch (error) {
    if (error instanceof CentumError) {
      if (error.errorCode === 'P433') return error.errorCode; // insufficient funds
      const name: 'insufficient-funds' | 'user-suspended' | string | undefined = error.errorName;
      const status: number = error.status;
      const id: string | undefined = error.requestId;
      void name; void status; void id;
      return error.errorCode;
    }
  }
  return undefined;
}

export async function history(): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of centum.pages('/v1/user/transaction-history/{externalUserId}', {
    params: { path: { externalUserId: 'u-1' }, query: { limit: 50, currency: 'eur' } },
  })) {
    for (const line of page.transactions) ids.push(`${line.id} ${line.amount}`);
    const next: string | null = page.nextCursor;
    void next;
  }
  for await (const page of centum.pages('/v1/partner/webhook-deliveries', { params: { query: { status: 'FAILED' } } })) {
    ids.push(...page.deliveries.map((d) => d.id));
  }
  for await (const page of centum.pages('/v1/partner/transaction-history')) ids.push(String(page.transactions.length));
  return ids;
}

type Line = ItemOf<'/v1/partner/transaction-history'>;
export const lineId = (line: Line): string => line.id;
export type Any = Schema<keyof import('../../src/index.js').components['schemas']>;
