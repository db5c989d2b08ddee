import type { FastifyInstance } from 'fastify';
import { ApiError, validationError } from '../errors.js';
import { sha256 } from '../secrets.js';

/**
 * `Idempotency-Key` on any POST: the first response is stored under (partner, key) with a hash of
 * the request, and replayed for a retry. Another request under the same key is 409 P601; a retry
 * while the first is still running is 409 P602. Server failures (P500) are not stored, so the
 * client may retry them.
 */
export function registerIdempotency(app: FastifyInstance): void {
  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      throw validationError('Idempotency-Key must be 1 to 255 characters');
    }
    const hash = sha256(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`);
    const db = app.ctx.db;
    const inserted = await db.query(
      `INSERT INTO idempotency_keys (partner_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (partner_id, key) DO NOTHING RETURNING key`,
      [request.partner.id, key, hash],
    );
    if (inserted.length) {
      (request as any).idempotencyKey = key;
      return;
    }
    const [stored] = await db.query<{ request_hash: string; status: string; response_status: number; response_body: string }>(
      'SELECT request_hash, status, response_status, response_body FROM idempotency_keys WHERE partner_id = $1 AND key = $2',
      [request.partner.id, key],
    );
    if (!stored) throw new ApiError('P602'); // removed by a failing first request a moment ago
    if (stored.request_hash !== hash) throw new ApiError('P601');
    if (stored.status !== 'DONE') throw new ApiError('P602');
    reply.code(stored.response_status).header('idempotent-replayed', 'true').type('application/json');
    return reply.send(stored.response_body);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const key: string | undefined = (request as any).idempotencyKey;
    if (!key) return payload;
    const failed = reply.statusCode >= 500 || (typeof payload === 'string' && payload.includes('"errorCode":"P500"'));
    if (failed) {
      await app.ctx.db.query('DELETE FROM idempotency_keys WHERE partner_id = $1 AND key = $2', [request.partner.id, key]);
    } else {
      await app.ctx.db.query(
        `UPDATE idempotency_keys SET status = 'DONE', response_status = $3, response_body = $4
         WHERE partner_id = $1 AND key = $2`,
        [request.partner.id, key, reply.statusCode, typeof payload === 'string' ? payload : JSON.stringify(payload)],
      );
    }
    return payload;
  });
}
