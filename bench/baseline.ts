import { randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * The raw SQL floor for a money movement: one balanced transfer per commit (conditional debit,
 * credit, posting insert) between random accounts, from `connections` clients at once, for
 * `seconds`. What Centum adds on top (HTTP, auth, validation, ledger lines, outbox, deposit row)
 * is measured against this.
 */
export interface BaselineResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
}

const ACCOUNTS = 1000;

/** `beforeDisconnect` runs when the load is over but the connections are still open (to read their CPU time). */
export async function runBaseline(
  databaseUrl: string, connections: number, seconds: number, beforeDisconnect: () => void = () => {},
): Promise<BaselineResult> {
  const setup = new pg.Client({ connectionString: databaseUrl });
  await setup.connect();
  await setup.query(`DROP TABLE IF EXISTS bench_postings; DROP TABLE IF EXISTS bench_accounts;
    CREATE TABLE bench_accounts (id integer PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
    CREATE TABLE bench_postings (id uuid PRIMARY KEY, debit_account integer NOT NULL, credit_account integer NOT NULL,
      amount bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO bench_accounts SELECT g, 1000000000 FROM generate_series(1, ${ACCOUNTS}) g;`);

  const latencies: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  const clients: pg.Client[] = [];
  const worker = async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    clients.push(client);
    await client.connect();
    while (Date.now() < deadline) {
      const from = 1 + Math.floor(Math.random() * ACCOUNTS);
      let to = 1 + Math.floor(Math.random() * ACCOUNTS);
      if (to === from) to = (to % ACCOUNTS) + 1;
      const started = performance.now();
      await client.query('BEGIN');
      // The two rows are updated in id order, so two transfers never deadlock.
      const debit = async () => {
        const debited = await client.query('UPDATE bench_accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1', ['100', from]);
        if (debited.rowCount !== 1) throw new Error('baseline ran out of money');
      };
      const credit = () => client.query('UPDATE bench_accounts SET balance = balance + $1 WHERE id = $2', ['100', to]);
      if (from < to) { await debit(); await credit(); } else { await credit(); await debit(); }
      await client.query('INSERT INTO bench_postings (id, debit_account, credit_account, amount) VALUES ($1, $2, $3, $4)', [randomUUID(), from, to, '100']);
      await client.query('COMMIT');
      latencies.push(performance.now() - started);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (Date.now() - started) / 1000;
  beforeDisconnect();
  await Promise.all(clients.map((client) => client.end()));

  const [{ sum }] = (await setup.query('SELECT sum(balance)::text AS sum FROM bench_accounts')).rows;
  if (BigInt(sum) !== 1000000000n * BigInt(ACCOUNTS)) throw new Error(`baseline lost money: ${sum}`);
  await setup.query('DROP TABLE bench_postings; DROP TABLE bench_accounts');
  await setup.end();

  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requestsPerSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), total: latencies.length };
}
