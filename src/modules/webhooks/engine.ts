import type { Db, Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { enqueueJob, type JobContext, type JobHandler } from '../../jobs/queue.js';
import { deriveWebhookToken } from '../../kernel/secrets.js';
import { WEBHOOK_ATTEMPT_JOB } from '../../outbox/events.js';
import { getSettings } from './settings.js';
import { deliveryBody, deliveryHeaders, type PayloadFormat } from './signing.js';
import { postPinned } from './pinned-post.js';
import { joinUrl, resolveDestination, type ResolveHost } from './url-guard.js';

/**
 * The delivery engine. Each attempt is a job (`webhook.attempt` {deliveryId, attemptNo}) due in the
 * partner's simulated time, so the sandbox clock drives retries. An attempt runs in three steps:
 *
 *   1. claim, in the job's transaction: lock the delivery, write the attempt as SENDING and queue
 *      the job of the NEXT attempt (or of the chain's closing) before calling anyone;
 *   2. commit, then call the partner with no transaction open (JobContext.afterCommit);
 *   3. record the outcome in a short transaction: success cancels the queued next job, failure
 *      moves it to "now + delay".
 *
 * A crash after step 1 loses nothing: the next job is already queued; when it runs it finds the
 * attempt still SENDING, marks it INTERRUPTED and carries on. Attempts are unique per
 * (delivery, attemptNo) and each job is claimed once (SKIP LOCKED), so an attempt chain is never
 * duplicated, by crashes or by several workers.
 */
export interface EngineSettings {
  secretKey: string;
  timeoutMs: number;
  retryDelaysSeconds: number[];
  allowPrivate: boolean;
  resolveHost: ResolveHost;
}

/** The engine's settings: the app's, as every job gets them (JobContext.runtime). */
const engineSettings = ({ config, resolveHost }: JobContext['runtime']): EngineSettings => ({
  secretKey: config.secretKey,
  timeoutMs: config.webhook.timeoutMs,
  retryDelaysSeconds: config.webhook.retryDelaysSeconds,
  allowPrivate: config.webhookAllowPrivate,
  resolveHost,
});

/** A SENDING attempt younger than this may still be in flight; older ones were interrupted. */
const inFlightWindowMs = (s: EngineSettings) => s.timeoutMs + 1000;

interface DeliveryRow {
  id: string;
  partner_id: string;
  status: string;
  attempt_count: number;
  event_id: string;
  type: string;
  path: string;
  payload: unknown;
  event_created_at: Date;
  url: string | null;
  enabled: boolean | null;
  payload_format: PayloadFormat | null;
  webhook_token_version: number;
}

interface ClaimedAttempt {
  attemptId: string;
  deliveryId: string;
  partnerId: string;
  attemptNo: number;
  isLast: boolean;
  url: string;
  token: string;
  body: string;
  eventId: string;
  eventType: string;
}

/** One delivery attempt (the job outbox/events.ts queues with each event): claim, call after commit, record. */
export const attemptDelivery: JobHandler = async (job, ctx) => {
  const { deliveryId, attemptNo } = job.payload as { deliveryId: string; attemptNo: number };
  const claimed = await claimAttempt(ctx, deliveryId, attemptNo);
  if (claimed) ctx.afterCommit(() => sendAndRecord(ctx.db, claimed, engineSettings(ctx.runtime)));
};

async function claimAttempt(ctx: JobContext, deliveryId: string, attemptNo: number): Promise<ClaimedAttempt | null> {
  const { q, now } = ctx;
  const settings = engineSettings(ctx.runtime);
  // One read: the delivery (locked), its event, the partner's settings and token version.
  const [delivery] = await q.query<DeliveryRow>(
    `SELECT d.id, d.partner_id, d.status, d.attempt_count, e.id AS event_id, e.type, e.path, e.payload,
            e.created_at AS event_created_at, s.url, s.enabled, s.payload_format, p.webhook_token_version
     FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN partners p ON p.id = d.partner_id
     LEFT JOIN webhook_settings s ON s.partner_id = d.partner_id
     WHERE d.id = $1 FOR NO KEY UPDATE OF d`,
    [deliveryId],
  );
  // Already decided, or this attempt already ran: nothing to do (the job is a leftover).
  if (!delivery || delivery.status !== 'PENDING' || delivery.attempt_count >= attemptNo) return null;

  if (attemptNo > 1 && !(await closeUnrecordedAttempt(ctx, delivery.partner_id, deliveryId, attemptNo, settings))) return null;
  const maxAttempts = settings.retryDelaysSeconds.length + 1;
  if (attemptNo > maxAttempts) {
    await setDelivery(q, deliveryId, { status: 'FAILED', nextAttemptAt: null, at: now });
    return null;
  }

  if (!delivery.url || delivery.enabled === false) {
    const reason = delivery.url ? 'webhooks disabled' : 'no webhook URL configured';
    await q.query(
      `UPDATE webhook_deliveries SET status = 'SKIPPED', skip_reason = $2, next_attempt_at = NULL, updated_at = $3 WHERE id = $1`,
      [deliveryId, reason, now],
    );
    return null;
  }

  const isLast = attemptNo === maxAttempts;
  // The next step is queued before the call: after a crash it still runs.
  const nextAt = isLast
    ? new Date(now.getTime() + inFlightWindowMs(settings))
    : new Date(now.getTime() + settings.retryDelaysSeconds[attemptNo - 1] * 1000);
  const url = joinUrl(delivery.url, delivery.path);
  const attemptId = newId();
  const nextJobId = newId();
  await q.query(
    `WITH next AS (INSERT INTO jobs (id, kind, partner_id, payload, run_at) VALUES ($5, $8, $9, $10, $11) RETURNING id),
     attempt AS (INSERT INTO webhook_attempts (id, delivery_id, attempt_no, state, url, next_job_id, started_at, started_real_at)
                 SELECT $1, $2, $3, 'SENDING', $4, next.id, $6, now() FROM next RETURNING id)
     UPDATE webhook_deliveries SET attempt_count = $3, last_url = $4, next_attempt_at = $7, updated_at = $6
     WHERE id = $2 AND EXISTS (SELECT 1 FROM attempt)`,
    [attemptId, deliveryId, attemptNo, url, nextJobId, now, isLast ? null : nextAt, WEBHOOK_ATTEMPT_JOB, delivery.partner_id,
      JSON.stringify({ deliveryId, attemptNo: attemptNo + 1 }), nextAt],
  );
  // The token is derived (deriveWebhookToken), never stored, from the version read above.
  const token = deriveWebhookToken(settings.secretKey, delivery.partner_id, delivery.webhook_token_version);
  const body = deliveryBody(delivery.payload_format ?? 'flat', delivery.type, delivery.payload, delivery.event_id, delivery.event_created_at);
  return {
    attemptId, deliveryId, partnerId: delivery.partner_id, attemptNo, isLast, url, token, body,
    eventId: delivery.event_id, eventType: delivery.type,
  };
}

/**
 * Before attempt `attemptNo`, looks at the previous one. Still SENDING and older than the timeout:
 * the process died mid-call, so it is marked INTERRUPTED (returns true: go on). Still SENDING and
 * younger: it may be in flight in another process (a clock advanced faster than real time), so this
 * attempt is queued again after the in-flight window and the previous attempt points at that job,
 * which its outcome will move or cancel (returns false: nothing more now).
 */
async function closeUnrecordedAttempt(ctx: JobContext, partnerId: string, deliveryId: string, attemptNo: number, s: EngineSettings): Promise<boolean> {
  const { q, now } = ctx;
  const [previous] = await q.query<{ id: string; state: string; started_real_at: Date }>(
    'SELECT id, state, started_real_at FROM webhook_attempts WHERE delivery_id = $1 AND attempt_no = $2',
    [deliveryId, attemptNo - 1],
  );
  if (previous?.state !== 'SENDING') return true;
  if (Date.now() - previous.started_real_at.getTime() < inFlightWindowMs(s)) {
    const jobId = await enqueueJob(q, {
      kind: WEBHOOK_ATTEMPT_JOB, partnerId, runAt: new Date(now.getTime() + inFlightWindowMs(s)), payload: { deliveryId, attemptNo },
    });
    await q.query('UPDATE webhook_attempts SET next_job_id = $2 WHERE id = $1', [previous.id, jobId]);
    return false;
  }
  await q.query(
    `UPDATE webhook_attempts SET state = 'INTERRUPTED', finished_at = $2,
       error = 'no outcome recorded: the server stopped during the call' WHERE id = $1 AND state = 'SENDING'`,
    [previous.id, now],
  );
  return true;
}

async function setDelivery(q: Queryable, id: string, to: { status: string; nextAttemptAt: Date | null; at: Date }) {
  await q.query('UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, updated_at = $4 WHERE id = $1', [
    id, to.status, to.nextAttemptAt, to.at,
  ]);
}

interface Outcome {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

async function send(attempt: ClaimedAttempt, s: EngineSettings): Promise<Outcome> {
  const started = performance.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    // Checked again at send time (the name may resolve elsewhere than when the URL was saved), and
    // the call goes to the addresses checked: one resolution per attempt, also when private is allowed.
    const url = new URL(attempt.url);
    const addresses = await resolveDestination(url, s.allowPrivate, s.resolveHost);
    const headers = deliveryHeaders({
      token: attempt.token, body: attempt.body, eventId: attempt.eventId, eventType: attempt.eventType,
      deliveryId: attempt.deliveryId, attempt: attempt.attemptNo, unixSeconds: Math.floor(Date.now() / 1000),
    });
    statusCode = await postPinned(url, addresses, headers, attempt.body, AbortSignal.timeout(s.timeoutMs));
    if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
  } catch (e) {
    error = describeError(e, s.timeoutMs);
  }
  const latencyMs = Math.round(performance.now() - started);
  return { ok: error === null, statusCode, latencyMs, error };
}

function describeError(e: unknown, timeoutMs: number): string {
  if (e instanceof ApiError) return e.message;
  const err = e as { name?: string; message?: string; code?: string; errors?: { message: string }[] };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  // Every address refused (Happy Eyeballs): Node's AggregateError has their messages, none of its own.
  const message = err?.message || err?.errors?.map((x) => x.message).join('; ') || err?.code;
  return String(message || e).slice(0, 500);
}

/**
 * Records an attempt's outcome in one statement (atomic without a transaction): the attempt, the
 * queued next job (cancelled on success or after the last attempt, else moved to failure + delay)
 * and the delivery. Nothing changes if a later step already declared the attempt interrupted.
 */
async function sendAndRecord(db: Db, attempt: ClaimedAttempt, s: EngineSettings): Promise<void> {
  const outcome = await send(attempt, s);
  const retry = !outcome.ok && !attempt.isLast;
  const deliveryStatus = outcome.ok ? 'SUCCEEDED' : retry ? 'PENDING' : 'FAILED';
  await db.query(
    `WITH t AS (SELECT now() + clock_offset_ms * interval '1 millisecond' AS at FROM partners WHERE id = $1),
     a AS (UPDATE webhook_attempts SET state = $3::text, finished_at = (SELECT at FROM t), status_code = $4, latency_ms = $5, error = $6
           WHERE id = $2 AND state = 'SENDING' RETURNING id, next_job_id),
     j AS (UPDATE jobs SET
             status = CASE WHEN $8::boolean THEN 'QUEUED' ELSE 'DONE' END,
             finished_at = CASE WHEN $8::boolean THEN finished_at ELSE now() END,
             run_at = CASE WHEN $8::boolean THEN (SELECT at FROM t) + $9::int * interval '1 second' ELSE run_at END
           WHERE id IN (SELECT id FROM jobs WHERE id = (SELECT next_job_id FROM a) AND status = 'QUEUED' FOR UPDATE SKIP LOCKED)
           RETURNING id)
     UPDATE webhook_deliveries SET status = $7::text, updated_at = (SELECT at FROM t),
       next_attempt_at = CASE WHEN $8::boolean THEN (SELECT at FROM t) + $9::int * interval '1 second' ELSE NULL END
     WHERE id = $10 AND status = 'PENDING' AND EXISTS (SELECT 1 FROM a)`,
    [attempt.partnerId, attempt.attemptId, outcome.ok ? 'SUCCEEDED' : 'FAILED', outcome.statusCode, outcome.latencyMs, outcome.error,
      deliveryStatus, retry, retry ? s.retryDelaysSeconds[attempt.attemptNo - 1] : 0, attempt.deliveryId],
  );
}

/** A new attempt chain for a delivery's event (manual replay); its first attempt is due now. */
export async function replayDelivery(q: Queryable, partnerId: string, deliveryId: string, now: Date): Promise<string> {
  const [original] = await q.query<{ event_id: string }>(
    'SELECT event_id FROM webhook_deliveries WHERE id = $1 AND partner_id = $2',
    [deliveryId, partnerId],
  );
  if (!original) throw new ApiError('P651');
  const settings = await getSettings(q, partnerId);
  if (!settings.url || !settings.enabled) throw new ApiError('P652');
  const id = newId();
  await q.query(
    `INSERT INTO webhook_deliveries (id, partner_id, event_id, replay_of, status, next_attempt_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, 'PENDING', $5, $5, $5)`,
    [id, partnerId, original.event_id, deliveryId, now],
  );
  await enqueueJob(q, { kind: WEBHOOK_ATTEMPT_JOB, partnerId, runAt: now, payload: { deliveryId: id, attemptNo: 1 } });
  return id;
}
