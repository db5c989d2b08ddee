import type { LookupAddress } from 'node:dns';
import type { Config } from '../config.js';
import type { Db, Queryable } from '../kernel/db.js';
import type { Fx } from '../rails/fx/rates.js';
import { hostname } from 'node:os';
import { newId } from '../kernel/ids.js';

/**
 * Background jobs in PostgreSQL. A job is claimed with FOR UPDATE SKIP LOCKED inside the
 * transaction that applies it and marks it done, so a crash leaves it queued with nothing applied,
 * and several workers never run the same job. Due-ness uses the partner's simulated clock.
 */
export interface Job {
  id: string;
  kind: string;
  partner_id: string | null;
  payload: any;
  run_at: Date;
  attempts: number;
}

export interface JobContext {
  db: Db;
  /** The job's own transaction: everything written through it commits with the job. */
  q: Queryable;
  /** Simulated now for the job's partner. */
  now: Date;
  /**
   * Runs `fn` after the job's transaction has committed (and only if it did), before runOneJob
   * returns: slow I/O such as a webhook call happens with no transaction open. Errors are reported
   * to the job error listener, never retried: the handler must have recorded what recovers them.
   */
  afterCommit(fn: () => Promise<void>): void;
  /** The app's settings, FX rail and resolver (see JobRuntime). */
  runtime: JobRuntime;
}

export type JobHandler = (job: Job, ctx: JobContext) => Promise<void>;

/**
 * What jobs run with: the handlers of the app's modules, and the app's settings and rails. The
 * server builds it into its context, a `centum worker` from the same config (src/cli.ts).
 */
export interface JobRuntime {
  handlers: JobHandlers;
  config: Config;
  fx: Fx;
  /** DNS for webhook destinations. */
  resolveHost: (hostname: string) => Promise<LookupAddress[]>;
}

/**
 * What runs each kind of job. Modules declare their handlers (CentumModule.jobs); the server and
 * the worker build this from the module list (platform/module.ts, jobHandlers) and pass it here.
 */
export type JobHandlers = ReadonlyMap<string, JobHandler>;

export async function enqueueJob(
  q: Queryable,
  job: { kind: string; partnerId: string | null; runAt: Date; payload?: unknown },
): Promise<string> {
  const id = newId();
  await q.query('INSERT INTO jobs (id, kind, partner_id, payload, run_at) VALUES ($1, $2, $3, $4, $5)', [
    id, job.kind, job.partnerId, JSON.stringify(job.payload ?? {}), job.runAt,
  ]);
  return id;
}

const MAX_ATTEMPTS = 10;
/** This process, as recorded in jobs.finished_by. */
export const WORKER_ID = `${hostname()}:${process.pid}`;

const DUE = `j.status = 'QUEUED'
  AND j.run_at <= $1::timestamptz + coalesce(p.clock_offset_ms, 0) * interval '1 millisecond'`;

export interface RunOptions {
  /**
   * Takes the job's after-commit work (e.g. a webhook call) instead of waiting for it, so a worker
   * loop is not held up by a slow partner server. Without it runOneJob waits (the sandbox clock
   * relies on that: everything due has happened when it answers).
   */
  detachAfterCommit?: (work: Promise<void>) => void;
}

/** SQLSTATEs db.tx answers by running the transaction again: serialization failure, deadlock. */
const RUN_AGAIN = new Set(['40001', '40P01']);

/**
 * Claims and runs one due job; returns false when none is due (or all due ones are taken).
 * `partnerId` restricts it to one partner's jobs (the sandbox clock advance).
 */
export async function runOneJob(db: Db, runtime: JobRuntime, partnerId?: string, opts: RunOptions = {}): Promise<boolean> {
  let failed: { job: Job; error: unknown } | undefined;
  let afterCommit: (() => Promise<void>)[] = [];
  const ran = await db.tx(async (q) => {
    afterCommit = [];
    failed = undefined; // an attempt of the transaction that failed and was run again
    const [job] = await q.query<Job & { offset: bigint | null }>(
      `SELECT j.*, p.clock_offset_ms AS offset FROM jobs j LEFT JOIN partners p ON p.id = j.partner_id
       WHERE ${DUE} ${partnerId ? 'AND j.partner_id = $2' : ''}
       ORDER BY j.run_at LIMIT 1 FOR UPDATE OF j SKIP LOCKED`,
      partnerId ? [new Date(), partnerId] : [new Date()],
    );
    if (!job) return false;
    const handler = runtime.handlers.get(job.kind);
    const now = new Date(Date.now() + Number(job.offset ?? 0n));
    let savepoint = false;
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      await q.query('SAVEPOINT job');
      savepoint = true;
      await handler(job, { db, q, now, runtime, afterCommit: (fn) => void afterCommit.push(fn) });
      await q.query('RELEASE SAVEPOINT job');
      savepoint = false;
    } catch (error) {
      // A deadlock or serialization failure says nothing about the job: the whole transaction is
      // run again (db.tx), as any other, instead of using up one of the job's attempts.
      if (RUN_AGAIN.has((error as { code?: string })?.code ?? '')) throw error;
      // Undo the handler's writes (if it ran), keep the claim, and schedule the retry in this same
      // transaction.
      if (savepoint) await q.query('ROLLBACK TO SAVEPOINT job');
      afterCommit = [];
      failed = { job, error };
      const attempts = job.attempts + 1;
      const retryMs = Math.min(2 ** attempts * 1000, 300_000);
      // The retry waits from now (simulated), not from the original due time: a job long overdue
      // after a clock jump must not be retried ten times in a row.
      await q.query(
        `UPDATE jobs SET attempts = $2, last_error = $3, finished_by = $5,
           status = CASE WHEN $2 >= ${MAX_ATTEMPTS} THEN 'FAILED' ELSE 'QUEUED' END,
           run_at = $4
         WHERE id = $1`,
        [job.id, attempts, String((error as Error)?.stack ?? error).slice(0, 2000), new Date(now.getTime() + retryMs), WORKER_ID],
      );
      return true;
    }
    // Outside the try: the savepoint is released, so a failure here (a deadlock, a serialization
    // failure) fails the whole transaction, which db.tx runs again, handler included.
    await q.query(`UPDATE jobs SET status = 'DONE', attempts = attempts + 1, finished_at = now(), finished_by = $2 WHERE id = $1`, [job.id, WORKER_ID]);
    return true;
  });
  if (failed) jobErrorListener?.(failed.job, failed.error);
  const work = (async () => {
    for (const fn of afterCommit) {
      await fn().catch((error) => jobErrorListener?.({ kind: 'afterCommit' } as Job, error));
    }
  })();
  if (opts.detachAfterCommit && afterCommit.length) opts.detachAfterCommit(work);
  else await work;
  return ran;
}

let jobErrorListener: ((job: Job, error: unknown) => void) | undefined;
export function onJobError(listener: (job: Job, error: unknown) => void): void {
  jobErrorListener = listener;
}

/** Runs due jobs until none is left (bounded); returns how many ran. */
export async function drainJobs(db: Db, runtime: JobRuntime, partnerId?: string, max = 10_000): Promise<number> {
  let count = 0;
  while (count < max && (await runOneJob(db, runtime, partnerId))) count++;
  return count;
}

/** Due jobs still queued for a partner, including ones another worker holds right now. */
export async function countDueJobs(q: Queryable, partnerId: string): Promise<number> {
  const [row] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM jobs j JOIN partners p ON p.id = j.partner_id WHERE ${DUE} AND j.partner_id = $2`,
    [new Date(), partnerId],
  );
  return row.n;
}
