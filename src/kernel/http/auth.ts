import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { safeEqual, sha256 } from '../secrets.js';
import type { PartnerAuth } from '../../context.js';

/** `x-api-key` auth for the partner API, answering exactly as P100 does (401 xo1 / xo2). */
export function registerPartnerAuth(app: FastifyInstance): void {
  app.decorateRequest('partner', null as unknown as PartnerAuth);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['x-api-key'];
    if (typeof key !== 'string' || key === '') {
      return reply.code(401).send({ message: 'Access Denied. xo1' });
    }
    const [partner] = await app.ctx.db.query<{ id: string; name: string; clock_offset_ms: bigint }>(
      'SELECT id, name, clock_offset_ms FROM partners WHERE api_key_hash = $1',
      [sha256(key)],
    );
    if (!partner) return reply.code(401).send({ message: 'Access Denied. xo2' });
    request.partner = { id: partner.id, name: partner.name, clockOffsetMs: partner.clock_offset_ms };
  });
}

/** `Authorization: Bearer $CENTUM_ADMIN_TOKEN` for the operator API. */
export function registerAdminAuth(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token || !safeEqual(token, app.ctx.config.adminToken)) throw new ApiError('P607');
  });
}
