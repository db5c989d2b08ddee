import type { Db } from '../kernel/db.js';
import { runOneJob } from './queue.js';

export interface Worker {
  stop(): Promise<void>;
}

/**
 * Polls for due jobs with `concurrency` loops. Several workers (in the server process or in
 * `centum worker` processes) can run side by side: claims use SKIP LOCKED.
 */
export function startWorker(db: Db, opts: { pollMs: number; concurrency?: number; onError?: (e: unknown) => void }): Worker {
  let stopped = false;
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
  const loop = async () => {
    while (!stopped) {
      let ran = false;
      try {
        ran = await runOneJob(db);
      } catch (error) {
        if (!stopped) opts.onError?.(error);
      }
      if (!ran && !stopped) await sleep(opts.pollMs);
    }
  };
  const loops = Array.from({ length: opts.concurrency ?? 2 }, loop);
  return {
    async stop() {
      stopped = true;
      for (const wake of [...sleepers]) wake();
      await Promise.allSettled(loops);
    },
  };
}
