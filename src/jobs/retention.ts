import type { Db } from '../kernel/db.js';

/**
 * Finished work is not kept for ever: idempotency keys, finished jobs and delivered webhooks
 * (SUCCEEDED or SKIPPED, with their attempts) older than their retention are deleted. Ages are
 * measured on each partner's clock (the wall clock unless the sandbox moved it), so a sandbox test
 * sees a key expire by advancing its clock: keys are stamped with it, a job's age is that of its
 * due time (run_at, on the partner's clock), a delivery's that of its last change. Failed jobs and failed deliveries stay: someone should
 * look at them. Deleted in batches, so no sweep holds many row locks or runs one long statement.
 */
export interface Retention {
  idempotencyHours: number;
  jobsHours: number;
  webhooksHours: number;
}

const BATCH = 1000;

/** `column` older than `$1` hours on the partner's clock (p: the partners row, absent for none). */
const olderThan = (column: string) =>
  `${column} < now() + coalesce(p.clock_offset_ms, 0) * interval '1 millisecond' - $1 * interval '1 hour'`;

/** Each statement deletes one batch; ` RETURNING 1` is appended to count it. */
const SWEEPS: { name: keyof Retention; statements: string[] }[] = [
  {
    name: 'idempotencyHours',
    statements: [`DELETE FROM idempotency_keys WHERE (partner_id, key) IN (
      SELECT k.partner_id, k.key FROM idempotency_keys k JOIN partners p ON p.id = k.partner_id
      WHERE ${olderThan('k.created_at')} LIMIT ${BATCH})`],
  },
  {
    name: 'jobsHours',
    statements: [`DELETE FROM jobs WHERE id IN (
      SELECT j.id FROM jobs j LEFT JOIN partners p ON p.id = j.partner_id
      WHERE j.status = 'DONE' AND ${olderThan('j.run_at')} LIMIT ${BATCH})`],
  },
  {
    name: 'webhooksHours',
    // A delivery that a replay points at goes once the replay has gone.
    statements: [`WITH expired AS (
        SELECT d.id FROM webhook_deliveries d JOIN partners p ON p.id = d.partner_id
        WHERE d.status IN ('SUCCEEDED', 'SKIPPED') AND ${olderThan('d.updated_at')}
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries r WHERE r.replay_of = d.id)
        LIMIT ${BATCH}),
      attempts AS (DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM expired))
      DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM expired)`],
  },
];

/** Deletes what has outlived its retention; returns how many rows of each kind went. */
export async function purgeExpired(db: Db, retention: Retention): Promise<Record<keyof Retention, number>> {
  const counts = { idempotencyHours: 0, jobsHours: 0, webhooksHours: 0 };
  for (const sweep of SWEEPS) {
    for (const statement of sweep.statements) {
      for (;;) {
        const gone = (await db.query(`${statement} RETURNING 1`, [retention[sweep.name]])).length;
        counts[sweep.name] += gone;
        if (gone < BATCH) break;
      }
    }
  }
  return counts;
}
