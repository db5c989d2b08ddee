import type { Queryable } from '../../kernel/db.js';

export interface DeliveryFilter {
  status?: string;
  eventType?: string;
  eventId?: string;
  /** createdAt (the partner's simulated time): from inclusive, to exclusive. */
  from?: Date;
  to?: Date;
  /** Keyset pagination: deliveries older than this id (ids are time-ordered UUIDv7). */
  beforeId?: string;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  path: string;
  url: string | null;
  status: string;
  skipReason: string | null;
  attemptCount: number;
  nextAttemptAt: string | null;
  replayOf: string | null;
  createdAt: string;
  updatedAt: string;
  payload: Record<string, unknown>;
  attempts: AttemptView[];
}

export interface AttemptView {
  attempt: number;
  status: string;
  url: string;
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Deliveries of a partner, newest first, each with its attempts. */
export async function listDeliveries(q: Queryable, partnerId: string, filter: DeliveryFilter, limit: number): Promise<DeliveryView[]> {
  const where = ['d.partner_id = $1'];
  const params: unknown[] = [partnerId];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.status) add('d.status = ?', filter.status);
  if (filter.eventType) add('e.type = ?', filter.eventType);
  if (filter.eventId) add('d.event_id = ?', filter.eventId);
  if (filter.from) add('d.created_at >= ?', filter.from);
  if (filter.to) add('d.created_at < ?', filter.to);
  if (filter.beforeId) add('d.id < ?', filter.beforeId);
  params.push(limit);
  const rows = await q.query<any>(
    `SELECT d.*, e.type, e.path, e.payload FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
     WHERE ${where.join(' AND ')} ORDER BY d.id DESC LIMIT $${params.length}`,
    params,
  );
  return withAttempts(q, rows);
}

export async function getDelivery(q: Queryable, partnerId: string, id: string): Promise<DeliveryView | null> {
  const rows = await q.query<any>(
    `SELECT d.*, e.type, e.path, e.payload FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.id = $1 AND d.partner_id = $2`,
    [id, partnerId],
  );
  return (await withAttempts(q, rows))[0] ?? null;
}

async function withAttempts(q: Queryable, rows: any[]): Promise<DeliveryView[]> {
  if (!rows.length) return [];
  const attempts = await q.query<any>(
    `SELECT * FROM webhook_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, attempt_no`,
    [rows.map((r) => r.id)],
  );
  const byDelivery = new Map<string, AttemptView[]>();
  for (const a of attempts) {
    const list = byDelivery.get(a.delivery_id) ?? [];
    list.push({
      attempt: a.attempt_no, status: a.state, url: a.url, statusCode: a.status_code, latencyMs: a.latency_ms,
      error: a.error, startedAt: a.started_at.toISOString(), finishedAt: iso(a.finished_at),
    });
    byDelivery.set(a.delivery_id, list);
  }
  return rows.map((r) => ({
    id: r.id, eventId: r.event_id, eventType: r.type, path: r.path, url: r.last_url, status: r.status,
    skipReason: r.skip_reason, attemptCount: r.attempt_count, nextAttemptAt: iso(r.next_attempt_at), replayOf: r.replay_of,
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(), payload: r.payload,
    attempts: byDelivery.get(r.id) ?? [],
  }));
}
