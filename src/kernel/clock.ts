import type { Queryable } from './db.js';

/**
 * Simulated time. Each partner has its own offset from real time, moved by
 * POST /v1/sandbox/clock/advance, so one partner's tests never shift another's clock.
 * Lock expiry, settlement delays and confirmations all read time from here.
 */
export const partnerNow = (clockOffsetMs: bigint | number): Date => new Date(Date.now() + Number(clockOffsetMs));

export async function advanceClock(q: Queryable, partnerId: string, ms: number): Promise<Date> {
  const [row] = await q.query<{ clock_offset_ms: bigint }>(
    'UPDATE partners SET clock_offset_ms = clock_offset_ms + $2 WHERE id = $1 RETURNING clock_offset_ms',
    [partnerId, ms],
  );
  return partnerNow(row.clock_offset_ms);
}
