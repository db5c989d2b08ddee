import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob, runOneJob } from '../../src/jobs/queue.js';
import { startWorker } from '../../src/jobs/worker.js';
import { MODULES } from '../../src/modules/index.js';
import type { CentumModule } from '../../src/platform/module.js';
import { startTestApp, type TestApp } from '../support/app.js';

let calls = 0;
const flaky: CentumModule = {
  name: 'flaky',
  jobs: {
    'test.flaky': async (_job, { q }) => {
      calls++;
      await q.query(`UPDATE partners SET name = 'changed by a failing job' WHERE id = $1`, [_job.payload.partnerId]);
      if (calls < 3) throw new Error(`flaky failure ${calls}`);
    },
  },
};

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({}, { modules: [...MODULES, flaky] });
});
afterAll(() => t.close());

describe('job retries', () => {
  it('undoes a failing attempt, retries it from now with backoff, reports it, and finishes once', async () => {
    const partner = await t.createPartner('Retry');
    const errors: string[] = [];
    const worker = startWorker(t.db, t.app.ctx.jobs, { pollMs: 60_000, concurrency: 0, onError: (e) => errors.push((e as Error).message) });
    await worker.stop(); // only its error reporting is used; the test runs the job itself
    const id = await t.db.tx((q) => enqueueJob(q, { kind: 'test.flaky', partnerId: partner.id, runAt: new Date(0), payload: { partnerId: partner.id } }));
    const job = async () => (await t.db.query<any>('SELECT status, attempts, run_at, last_error, finished_by FROM jobs WHERE id = $1', [id]))[0];

    expect(await runOneJob(t.db, t.app.ctx.jobs, partner.id)).toBe(true);
    const first = await job();
    expect(first).toMatchObject({ status: 'QUEUED', attempts: 1, last_error: expect.stringContaining('flaky failure 1') });
    expect(first.run_at.getTime()).toBeGreaterThan(Date.now()); // from now, not from the epoch
    expect((await t.db.query<any>('SELECT name FROM partners WHERE id = $1', [partner.id]))[0].name).toBe('Retry');
    expect(errors).toEqual([expect.stringContaining('job test.flaky')]);
    expect(await runOneJob(t.db, t.app.ctx.jobs, partner.id)).toBe(false); // not due yet

    for (const seconds of [60, 60]) {
      await partner.call('POST', '/v1/sandbox/clock/advance', { seconds });
    }
    expect(await job()).toMatchObject({ status: 'DONE', attempts: 3, finished_by: expect.stringMatching(/:\d+$/) });
    expect(calls).toBe(3);
    expect(errors).toHaveLength(2);
  });
});
