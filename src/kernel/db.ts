import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';

/** Anything that runs a parameterised query: the pool, or one transaction's client. */
export interface Queryable {
  query<T = Record<string, any>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** A transaction left open across callbacks (a request's idempotent effect); see `Db.begin`. */
export interface Transaction extends Queryable {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface PoolStats {
  total: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
}

export interface Db extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /** Runs `fn` in one transaction, retried on serialization failures, deadlocks and lost connections. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * Opens a transaction that the caller commits or rolls back. Nothing retries it: a failure
   * inside surfaces to the caller, who rolls back.
   */
  begin(): Promise<Transaction>;
  /**
   * Runs `fn` with every `query` and `tx` of this handle made inside it (in its async context)
   * going into `transaction`: `tx` becomes a savepoint. So a whole request can commit with its
   * idempotency record without its handlers knowing.
   */
  bind<T>(transaction: Transaction, fn: () => T): T;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  /** Checks the database on a connection of its own (health), within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  stats(): PoolStats;
  close(): Promise<void>;
}

/**
 * Test hook for fault injection at the driver boundary: called before (and, in a transaction,
 * after) each statement; throwing there fails the statement as the database would.
 */
export interface FaultInjector {
  beforeStatement?(sql: string, where: 'statement' | 'transaction'): void;
  afterStatement?(sql: string, where: 'transaction'): void;
}

export interface PostgresOptions {
  poolSize?: number;
  /** Longest wait for a pooled connection (ms) before the request is answered 503. */
  acquireTimeoutMs?: number;
  /** Server-side bounds on one statement and on one lock wait (ms). */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  faults?: FaultInjector;
}

/**
 * The database could not do the work now: its connection was lost, it is down, or a bound
 * (pool wait, lock wait, statement time) was hit. Answered 503 P501 with Retry-After; nothing of
 * the request was applied, except where `outcomeUnknown` (the connection broke during a commit
 * or a write's round trip): then an Idempotency-Key retry finds out.
 */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, readonly outcomeUnknown: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

const SERIALIZATION = new Set(['40001', '40P01']);
/** A bound was hit: lock_timeout, statement_timeout, idle_in_transaction_session_timeout. */
const BOUND_HIT = new Set(['55P03', '57014', '25P03']);
const NODE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Connection-level failures: SQLSTATE class 08, the server shutting the session down (57P01
 * admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), too many connections, or the
 * socket failing under the driver.
 */
export function isConnectionError(error: any): boolean {
  const code = String(error?.code ?? '');
  if (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300' || NODE_NETWORK.has(code)) return true;
  return /Connection terminated|not queryable|Client was closed|timeout exceeded when trying to connect|Connection ended/i
    .test(String(error?.message ?? ''));
}

const isAcquireTimeout = (error: any) => /timeout exceeded when trying to connect/.test(String(error?.message));

/** The server aborted the statement before committing anything (so it is safe to send again). */
const abortedByServer = (error: any) => /^57P0[123]$/.test(String(error?.code ?? '')) || error?.code === '53300';

/** Errors answered 503 P501 (retry later) rather than P500. */
export function isTransientDatabaseError(error: any): boolean {
  return error instanceof DatabaseUnavailableError || SERIALIZATION.has(error?.code) || BOUND_HIT.has(error?.code) || isConnectionError(error);
}

/** A prepared statement whose result columns changed under it (a migration added a column). */
const isStalePlan = (error: any) => error?.code === '0A000' && /cached plan must not change result type/.test(error?.message);

/** Reads only: sending it again after a lost connection cannot apply anything twice. */
const isReadOnly = (sql: string) => /^\s*(SELECT|WITH)\b/i.test(sql) && !/\b(INSERT|UPDATE|DELETE|nextval|setval)\b/i.test(sql);

// bigint parameters travel as text: both drivers then let the server cast them.
const toParams = (params: unknown[] = []) =>
  params.map((p) => (typeof p === 'bigint' ? p.toString() : p));

const MAX_SERIALIZATION_ATTEMPTS = 8;
const MAX_CONNECTION_ATTEMPTS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `run` again on serialization failures and deadlocks (up to 8 attempts), on a stale plan,
 * and on connection failures that `retryable` says left nothing applied (up to 4 attempts, with
 * backoff, so a PostgreSQL restart or failover of a second or two is ridden out). Connection
 * failures that are not retried become DatabaseUnavailableError.
 */
async function withRetry<T>(run: () => Promise<T>, retryable: (error: any) => boolean): Promise<T> {
  let connectionFailures = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error: any) {
      if (isConnectionError(error) || error instanceof DatabaseUnavailableError) {
        // A full pool is not a fault to ride out: waiting again would only double the wait.
        const again = retryable(error) && !isAcquireTimeout(error) && ++connectionFailures < MAX_CONNECTION_ATTEMPTS;
        if (!again) {
          throw error instanceof DatabaseUnavailableError
            ? error
            : new DatabaseUnavailableError(`database unavailable: ${error?.message ?? error}`, false, { cause: error });
        }
        await sleep(50 * 2 ** connectionFailures);
        continue;
      }
      if (!(SERIALIZATION.has(error?.code) || isStalePlan(error)) || attempt >= MAX_SERIALIZATION_ATTEMPTS) throw error;
      await sleep(Math.random() * 5 * attempt);
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

/** Savepoints stand in for nested transactions; PostgreSQL lets one name be reused (innermost wins). */
async function savepoint<T>(q: Queryable, fn: (q: Queryable) => Promise<T>): Promise<T> {
  await q.query('SAVEPOINT centum_nested');
  try {
    const result = await fn(q);
    await q.query('RELEASE SAVEPOINT centum_nested');
    return result;
  } catch (error) {
    await q.query('ROLLBACK TO SAVEPOINT centum_nested').catch(() => {});
    throw error;
  }
}

/** The `query`, `tx` and `bind` behaviour every driver shares: calls inside `bind` go to its transaction. */
function binding() {
  const bound = new AsyncLocalStorage<Transaction>();
  return {
    current: () => bound.getStore(),
    bind: <T>(transaction: Transaction, fn: () => T): T => bound.run(transaction, fn),
    nested: savepoint,
  };
}

export function connectPostgres(url: string, options: PostgresOptions = {}): Db {
  const { faults } = options;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 20,
    connectionTimeoutMillis: options.acquireTimeoutMs ?? 5000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    lock_timeout: options.lockTimeoutMs ?? 5000,
    // A process that died inside a transaction must not hold its locks for long.
    idle_in_transaction_session_timeout: Math.max(60_000, (options.statementTimeoutMs ?? 30_000) * 2),
    keepAlive: true,
  });
  // pg-pool listens for errors only while a client is idle; a connection that breaks while checked
  // out emits 'error' with no listener, which would end the process. The query that was running
  // fails on its own, and the client is then released as broken (release(error)).
  pool.on('connect', (client) => client.on('error', () => {}));
  pool.on('error', () => {}); // an idle client's error: it is dropped, the next query gets a new one

  // One connection of its own for health checks, so /health answers while the pool is exhausted.
  const healthPool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 2000, statement_timeout: 2000, keepAlive: true });
  healthPool.on('connect', (client) => client.on('error', () => {}));
  healthPool.on('error', () => {});

  const { current, bind, nested } = binding();

  /** A checked-out client; `broken` releases it out of the pool. */
  async function withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      const result = await fn(client);
      client.release();
      return result;
    } catch (error) {
      const broken = isConnectionError(error) || error instanceof DatabaseUnavailableError;
      client.release(broken ? (error as Error) : undefined);
      throw error;
    }
  }

  const inTransaction = (client: pg.PoolClient): Queryable => ({
    async query(sql, params) {
      faults?.beforeStatement?.(sql, 'transaction');
      const rows = (await corkedQuery(client, sql, params)).rows;
      faults?.afterStatement?.(sql, 'transaction');
      return rows;
    },
  });

  /** BEGIN ... COMMIT on one client; a lost connection during COMMIT leaves the outcome unknown. */
  async function commit(client: pg.PoolClient) {
    try {
      await client.query('COMMIT');
    } catch (error) {
      if (isConnectionError(error)) throw new DatabaseUnavailableError('connection lost during COMMIT', true, { cause: error });
      throw error;
    }
  }

  return {
    kind: 'pg',
    // A statement outside a transaction commits or rolls back as a whole: it is sent again when it
    // never reached the server, when the server aborted it, or when it only reads.
    query(sql, params) {
      const bound = current();
      if (bound) return bound.query(sql, params);
      return withRetry(() => withClient(async (client) => {
        faults?.beforeStatement?.(sql, 'statement');
        try {
          return (await corkedQuery(client, sql, params)).rows;
        } catch (error: any) {
          const lostWrite = isConnectionError(error) && !abortedByServer(error) && !isReadOnly(sql)
            && !/not queryable/.test(error?.message); // a dead client sends nothing
          if (lostWrite) throw new DatabaseUnavailableError('connection lost during a write: it may have been applied', true, { cause: error });
          throw error;
        }
      }), (error) => !(error instanceof DatabaseUnavailableError && error.outcomeUnknown));
    },
    tx(fn) {
      const bound = current();
      if (bound) return nested(bound, fn);
      let committing = false;
      return withRetry(() => withClient(async (client) => {
        committing = false;
        await client.query('BEGIN');
        try {
          const result = await fn(inTransaction(client));
          committing = true;
          await commit(client);
          return result;
        } catch (error) {
          if (!committing) await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      }), (error) => !(error instanceof DatabaseUnavailableError && error.outcomeUnknown) && !committing);
    },
    async begin() {
      const client = await withRetry(async () => {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          return c;
        } catch (error) {
          c.release(error as Error);
          throw error;
        }
      }, () => true);
      let open = true;
      const end = (error?: Error) => {
        if (!open) return;
        open = false;
        client.release(error);
      };
      const inside = inTransaction(client);
      return {
        // After the end the client is back in the pool: a late query must not run on it.
        query: (sql, params) => (open ? inside.query(sql, params) : Promise.reject(new Error('transaction already ended'))),
        async commit() {
          try {
            await commit(client);
            end();
          } catch (error) {
            end(error as Error);
            throw error;
          }
        },
        async rollback() {
          if (!open) return;
          try {
            await client.query('ROLLBACK');
            end();
          } catch (error) {
            end(error as Error); // a broken connection: its transaction is gone with it
          }
        },
      };
    },
    bind,
    async exec(sql) {
      await pool.query(sql);
    },
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DatabaseUnavailableError(`no answer within ${timeoutMs} ms`, false)), timeoutMs);
      });
      try {
        await Promise.race([healthPool.query('SELECT 1'), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await Promise.all([pool.end(), healthPool.end()]);
    },
  };
}

/** Embedded PostgreSQL (WASM). `dataDir` undefined keeps it in memory (tests). */
export async function openPglite(dataDir?: string, options: { faults?: FaultInjector } = {}): Promise<Db> {
  const { faults } = options;
  const db = await PGlite.create(dataDir, {
    parsers: { [pgliteTypes.INT8]: (v: string) => BigInt(v) },
  });
  const { current, bind, nested } = binding();
  const inTransaction = (t: { query: PGlite['query'] }): Queryable => ({
    async query(sql, params) {
      faults?.beforeStatement?.(sql, 'transaction');
      const rows = (await t.query<any>(sql, toParams(params))).rows;
      faults?.afterStatement?.(sql, 'transaction');
      return rows;
    },
  });
  return {
    kind: 'pglite',
    async query(sql, params) {
      const bound = current();
      if (bound) return bound.query(sql, params);
      return withRetry(async () => {
        faults?.beforeStatement?.(sql, 'statement');
        return (await db.query<any>(sql, toParams(params))).rows;
      }, () => false);
    },
    tx(fn) {
      const bound = current();
      if (bound) return nested(bound, fn);
      return withRetry(() => db.transaction((t) => fn(inTransaction(t))), () => false);
    },
    // PGlite has one connection: the transaction holds it (other callers wait) until it ends.
    begin() {
      return new Promise<Transaction>((resolve, reject) => {
        let finish!: (commit: boolean) => void;
        const decided = new Promise<boolean>((r) => (finish = r));
        let open = true;
        const done = db.transaction(async (t) => {
          const inside = inTransaction(t);
          resolve({
            query: (sql, params) => (open ? inside.query(sql, params) : Promise.reject(new Error('transaction already ended'))),
            async commit() {
              open = false;
              finish(true);
              await done;
            },
            async rollback() {
              open = false;
              finish(false);
              await done.catch(() => {});
            },
          });
          if (!(await decided)) await t.rollback();
        });
        done.catch(reject);
      });
    },
    bind,
    async exec(sql) {
      await db.exec(sql);
    },
    async ping() {
      await db.query('SELECT 1');
    },
    stats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: () => db.close(),
  };
}

export async function openDatabase(opts: { databaseUrl?: string; dataDir?: string } & PostgresOptions): Promise<Db> {
  const { databaseUrl, dataDir, ...options } = opts;
  return databaseUrl ? connectPostgres(databaseUrl, options) : openPglite(dataDir, { faults: options.faults });
}
