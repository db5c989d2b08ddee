import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';

/** Anything that runs a parameterised query: the pool, or one transaction's client. */
export interface Queryable {
  query<T = Record<string, any>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Db extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /** Runs `fn` in one transaction, retried on serialization failures and deadlocks. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 8;

/** A prepared statement whose result columns changed under it (a migration added a column). */
const isStalePlan = (error: any) => error?.code === '0A000' && /cached plan must not change result type/.test(error?.message);

// bigint parameters travel as text: both drivers then let the server cast them.
const toParams = (params: unknown[] = []) =>
  params.map((p) => (typeof p === 'bigint' ? p.toString() : p));

async function withRetry<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error: any) {
      if (!(RETRYABLE.has(error?.code) || isStalePlan(error)) || attempt >= MAX_ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}

pg.types.setTypeParser(20, (v: string) => BigInt(v)); // int8 -> bigint, never a float

/**
 * Names for prepared statements, one per distinct SQL text. A named statement is parsed and
 * planned once per connection instead of at every call (planning was a third of PostgreSQL's CPU
 * per transfer). Texts beyond the cap (SQL built with values inlined would be endless) run unnamed.
 */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 1000;
let statementsNamed = 0;

function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `centum_${++statementsNamed}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * Runs one query on a client with its socket corked: pg writes each message of the extended
 * protocol (parse, bind, describe, execute, sync) with its own socket write, and each would be a
 * system call. Corked, they leave in one.
 */
function corkedQuery(client: pg.PoolClient, sql: string, params?: unknown[]) {
  const socket: { cork?: () => void; uncork?: () => void } | undefined = (client as any).connection?.stream;
  socket?.cork?.();
  // The messages are written synchronously here.
  const result = client.query({ name: statementName(sql), text: sql, values: toParams(params) });
  socket?.uncork?.();
  return result.catch((error) => {
    // Prepared again under a new name on the retry (withRetry), on every connection.
    if (isStalePlan(error)) statementNames.delete(sql);
    throw error;
  });
}

export function connectPostgres(url: string, poolSize = 20): Db {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('error', () => {}); // an idle client's error is reported by the next query
  return {
    kind: 'pg',
    // A statement outside a transaction commits or rolls back as a whole, so it is safe to retry.
    query(sql, params) {
      return withRetry(async () => {
        const client = await pool.connect();
        try {
          return (await corkedQuery(client, sql, params)).rows;
        } finally {
          client.release();
        }
      });
    },
    tx(fn) {
      return withRetry(async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const q: Queryable = { query: async (sql, params) => (await corkedQuery(client, sql, params)).rows };
          const result = await fn(q);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        } finally {
          client.release();
        }
      });
    },
    async exec(sql) {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}

/** Embedded PostgreSQL (WASM). `dataDir` undefined keeps it in memory (tests). */
export async function openPglite(dataDir?: string): Promise<Db> {
  const db = await PGlite.create(dataDir, {
    parsers: { [pgliteTypes.INT8]: (v: string) => BigInt(v) },
  });
  return {
    kind: 'pglite',
    async query(sql, params) {
      return (await db.query<any>(sql, toParams(params))).rows;
    },
    tx(fn) {
      return withRetry(() =>
        db.transaction((t) =>
          fn({ query: async (sql, params) => (await t.query<any>(sql, toParams(params))).rows }),
        ),
      );
    },
    async exec(sql) {
      await db.exec(sql);
    },
    close: () => db.close(),
  };
}

export async function openDatabase(opts: { databaseUrl?: string; dataDir?: string; poolSize?: number }): Promise<Db> {
  return opts.databaseUrl ? connectPostgres(opts.databaseUrl, opts.poolSize) : openPglite(opts.dataDir);
}
