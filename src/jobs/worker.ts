import type { Db } from '../kernel/db.js';
import { onJobError, runOneJob, type JobRuntime } from './queue.js';
import { purgeExpired, type Retention } from './retention.js';

/** How often a worker deletes finished work past its retention (several workers may: deletes are idempotent). */
const RETENTION_SWEEP_MS = 60 * 60 * 1000;

export interface Worker {
  stop(): Promise<void>;
}

/**
 * Polls for due jobs with `concurrency` loops. Several workers (in the server process or in
 * `centum worker` processes) can run side by side: claims use SKIP LOCKED.
 */
export function startWorker(
  db: Db,
  runtime: JobRuntime,
  opts: { pollMs: number; concurrency?: number; maxInFlight?: number; retention?: Retention; onError?: (e: unknown) => void },
): Worker {
  let stopped = false;
  // A failing job is retried with backoff (its error kept in jobs.last_error); also report it.
  onJobError((job, error) => {
    opts.onError?.(new Error(`job ${job.kind} ${job.id ?? ''} failed (attempt ${(job.attempts ?? 0) + 1}): ${(error as Error)?.message ?? error}`, { cause: error }));
  });
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  // After-commit work (webhook calls) runs beside the loops, at most maxInFlight at a time.
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = opts.maxInFlight ?? 64;
  const detachAfterCommit = (work: Promise<void>) => {
    const tracked = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  const loop = async () => {
    while (!stopped) {
      let ran = false;
      try {
        while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        ran = await runOneJob(db, runtime, undefined, { detachAfterCommit });
      } catch (error) {
        if (!stopped) opts.onError?.(error);
      }
      if (!ran && !stopped) await sleep(opts.pollMs);
    }
  };
  const loops = Array.from({ length: opts.concurrency ?? 2 }, loop);
  const retention = opts.retention;
  const sweep = () => void purgeExpired(db, retention!).catch((error) => opts.onError?.(error));
  const sweeper = retention ? setInterval(sweep, RETENTION_SWEEP_MS) : undefined;
  const firstSweep = retention ? setTimeout(sweep, 10_000) : undefined;
  sweeper?.unref();
  firstSweep?.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(sweeper);
      clearTimeout(firstSweep);
      for (const wake of [...sleepers]) wake();
      await Promise.allSettled(loops);
      await Promise.allSettled([...inFlight]);
    },
  };
}
