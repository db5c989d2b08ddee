import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { partnerNow } from '../clock.js';
import { DatabaseUnavailableError, type Transaction } from '../db.js';
import { ApiError, validationError } from '../errors.js';
import { deriveKey, seal, sha256, unseal } from '../secrets.js';
import { RETRY_AFTER_SECONDS } from './errors.js';

/**
 * `Idempotency-Key` on any POST of the partner API, as Stripe's: the first response is kept under
 * (partner, key) with a hash of the request and replayed for a retry; another request under the
 * same key is 409 P601; a retry while the first is still running is 409 P602.
 *
 * The key's result is written in the same transaction as the request's effect ('transaction'
 * mode, every route unless it says otherwise): the handler runs inside a transaction that first
 * locks the key's row, and its queries go into that transaction (`db.bind`). So after a crash a
 * key either holds the committed result, or its request committed nothing and a retry runs it.
 * The row lock is the proof of life: a key whose row is IN_PROGRESS but not locked belongs to a
 * request that died, and the next retry takes it over.
 *
 * Routes whose work cannot sit in one transaction (the sandbox clock runs jobs that call partner
 * servers) set `config: { idempotency: 'lease' }`: the result is stored after the handler, and a
 * key left IN_PROGRESS by a crash becomes recoverable when its lease runs out.
 *
 * Server failures (5xx, P500) roll the effect back and keep no result, so they may be retried.
 *
 * The hash covers the method, URL and `request.body`. Routes that take files (multipart) read their
 * form in `preValidation`, before this `preHandler`, and set the body to the form's digest: its
 * fields and each file's name, type, size and SHA-256 (src/modules/kyc/files.ts, `formDigest`), so
 * the same key with other files is P601 without the bytes being hashed twice or kept.
 */
export type IdempotencyMode = 'transaction' | 'lease';

/** How long a 'lease' request may run before a retry may take its key over. */
const LEASE_SECONDS = 60;

interface KeyRow {
  request_hash: string;
  status: 'IN_PROGRESS' | 'DONE';
  response_status: number | null;
  response_body: string | null;
  leased: boolean;
}

interface InFlight {
  key: string;
  mode: IdempotencyMode;
  /** 'transaction' mode: the open transaction holding the key's row lock and the effect. */
  tx?: Transaction;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: IdempotencyMode;
    /**
     * The answer holds secrets (a card's number and CVV): it is kept sealed (AES-256-GCM, the
     * partner and key as associated data), never in clear, and unsealed for a replay.
     */
    sealAnswer?: boolean;
  }
  interface FastifyRequest {
    idempotency?: InFlight;
  }
}

const SELECT_KEY = `SELECT request_hash, status, response_status, response_body, lease_until > now() AS leased
  FROM idempotency_keys WHERE partner_id = $1 AND key = $2`;

const SEALED = 'sealed:';

export function registerIdempotency(app: FastifyInstance): void {
  const { db } = app.ctx;
  const answerKey = deriveKey(app.ctx.config.secretKey, 'idempotency-answer');
  app.decorateRequest('idempotency', undefined);

  const sealedBody = (request: FastifyRequest, key: string, body: string) =>
    SEALED + seal(answerKey, Buffer.from(body), `${request.partner.id}:${key}`).toString('base64');
  const storedBody = (request: FastifyRequest, key: string, body: string) =>
    (body.startsWith(SEALED) ? unseal(answerKey, Buffer.from(body.slice(SEALED.length), 'base64'), `${request.partner.id}:${key}`).toString() : body);

  const replay = (request: FastifyRequest, reply: FastifyReply, key: string, row: KeyRow) => {
    if (request.routeOptions.config.sealAnswer) reply.header('cache-control', 'no-store');
    reply.code(row.response_status!).header('idempotent-replayed', 'true').type('application/json')
      .send(storedBody(request, key, row.response_body!));
  };

  /** Settles a stored key: P601 for another request, a replay when done. Returns true when it answered. */
  function answerStored(row: KeyRow | undefined, hash: string, request: FastifyRequest, reply: FastifyReply, key: string): boolean {
    if (!row) throw new ApiError('P602'); // expired or taken over a moment ago: the client retries
    if (row.request_hash !== hash) throw new ApiError('P601');
    if (row.status !== 'DONE') return false;
    replay(request, reply, key, row);
    return true;
  }

  /** 'transaction' mode: lock the key's row in a new transaction; the handler then runs inside it. */
  async function claimInTransaction(request: FastifyRequest, reply: FastifyReply, key: string, hash: string) {
    const tx = await db.begin();
    try {
      let row: KeyRow | undefined;
      try {
        [row] = await tx.query<KeyRow>(`${SELECT_KEY} FOR NO KEY UPDATE NOWAIT`, [request.partner.id, key]);
      } catch (error: any) {
        if (error?.code === '55P03') throw new ApiError('P602'); // its request holds the lock: still running
        throw error;
      }
      if (answerStored(row, hash, request, reply, key)) {
        await tx.rollback();
        return undefined;
      }
      // Business errors (4xx) undo the handler's writes back to here and keep the answer.
      await tx.query('SAVEPOINT centum_request');
      return tx;
    } catch (error) {
      await tx.rollback();
      throw error;
    }
  }

  /** 'lease' mode: a fresh key, or one whose request died (its lease ran out), is ours to run. */
  async function claimLease(request: FastifyRequest, reply: FastifyReply, key: string, hash: string): Promise<boolean> {
    const [row] = await db.query<KeyRow>(SELECT_KEY, [request.partner.id, key]);
    if (answerStored(row, hash, request, reply, key)) return false;
    if (row!.leased) throw new ApiError('P602');
    const taken = await db.query(
      `UPDATE idempotency_keys SET lease_until = now() + $3 * interval '1 second'
       WHERE partner_id = $1 AND key = $2 AND status = 'IN_PROGRESS' AND (lease_until IS NULL OR lease_until <= now())
       RETURNING key`,
      [request.partner.id, key, LEASE_SECONDS],
    );
    if (!taken.length) throw new ApiError('P602');
    return true;
  }

  app.addHook('preHandler', (request, reply, done) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined) return done();
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      return done(validationError('Idempotency-Key must be 1 to 255 characters'));
    }
    const mode = request.routeOptions.config.idempotency ?? 'transaction';
    const hash = sha256(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`);
    (async () => {
      const [created] = await db.query(
        // created_at on the partner's clock: keys expire by it (src/jobs/retention.ts).
        `INSERT INTO idempotency_keys (partner_id, key, request_hash, lease_until, created_at)
         VALUES ($1, $2, $3, CASE WHEN $4 THEN now() + $5 * interval '1 second' END, $6)
         ON CONFLICT (partner_id, key) DO NOTHING RETURNING key`,
        [request.partner.id, key, hash, mode === 'lease', LEASE_SECONDS, partnerNow(request.partner.clockOffsetMs)],
      );
      if (mode === 'lease') {
        if (created || (await claimLease(request, reply, key, hash))) {
          request.idempotency = { key, mode };
          done();
        }
        return;
      }
      const tx = await claimInTransaction(request, reply, key, hash);
      if (!tx) return; // replayed
      request.idempotency = { key, mode, tx };
      db.bind(tx, done); // the rest of the request (handler included) queries inside tx
    })().catch((error) => done(error));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const inFlight = request.idempotency;
    if (!inFlight) return payload;
    request.idempotency = undefined;
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    // P500 answers HTTP 400 (as P100 does), so the body tells a server failure too.
    const failed = reply.statusCode >= 500 || body.includes('"errorCode":"P500"');
    const kept = request.routeOptions.config.sealAnswer ? sealedBody(request, inFlight.key, body) : body;
    const store = [request.partner.id, inFlight.key, reply.statusCode, kept];
    const STORE = `UPDATE idempotency_keys SET status = 'DONE', response_status = $3, response_body = $4, lease_until = NULL
                   WHERE partner_id = $1 AND key = $2`;
    if (inFlight.mode === 'lease') {
      if (failed) {
        await db.query('UPDATE idempotency_keys SET lease_until = NULL WHERE partner_id = $1 AND key = $2', store.slice(0, 2));
      } else {
        await db.query(STORE, store);
      }
      return payload;
    }
    const tx = inFlight.tx!;
    if (failed) {
      await tx.rollback(); // nothing applied; the key stays IN_PROGRESS and unlocked: a retry runs it
      return payload;
    }
    try {
      if (reply.statusCode >= 400) await tx.query('ROLLBACK TO SAVEPOINT centum_request');
      await tx.query(STORE, store);
      await tx.commit();
      return payload;
    } catch (error) {
      await tx.rollback();
      // The answer was not kept (and, unless the commit's outcome is unknown, nothing was applied).
      // A retry with the same key replays the result if it did commit, or runs the request.
      request.log.warn({ err: error }, 'idempotent request could not be committed');
      const unknown = error instanceof DatabaseUnavailableError && error.outcomeUnknown;
      const apiError = new ApiError('P501', `Service temporarily unavailable${unknown ? '; the request may have been applied' : ''}: `
        + `retry with the same Idempotency-Key in ${RETRY_AFTER_SECONDS} s (request id ${request.id})`);
      reply.code(apiError.status).header('retry-after', String(RETRY_AFTER_SECONDS)).type('application/json');
      request.errorCode = apiError.code;
      return JSON.stringify({ ...apiError.toBody(), requestId: request.id });
    }
  });

  // A request that ended without sending (its socket closed, serialization failed) leaves no
  // transaction open.
  app.addHook('onResponse', async (request) => {
    const inFlight = request.idempotency;
    request.idempotency = undefined;
    await inFlight?.tx?.rollback();
  });
}
