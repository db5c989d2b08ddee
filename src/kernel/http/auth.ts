import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { safeEqual, sha256 } from '../secrets.js';
import type { PartnerAuth } from '../../context.js';

/**
 * Partners found by API key, kept for `ttlMs` so a burst of requests does not read the partners
 * table each time. The process that rotates a key or moves a partner's sandbox clock forgets the
 * partner at once (`forget`); other processes see the change within `ttlMs` (AUTH_CACHE_MS).
 */
export class PartnerKeyCache {
  private readonly byKeyHash = new Map<string, { partner: PartnerAuth; expiresAt: number }>();
  private static readonly MAX_ENTRIES = 10_000;

  constructor(private readonly ttlMs: number) {}

  get(keyHash: string): PartnerAuth | undefined {
    const hit = this.byKeyHash.get(keyHash);
    if (!hit) return undefined;
    if (hit.expiresAt <= Date.now()) {
      this.byKeyHash.delete(keyHash);
      return undefined;
    }
    return { ...hit.partner }; // a copy: a handler may change its request's partner
  }

  set(keyHash: string, partner: PartnerAuth): void {
    if (this.ttlMs === 0) return;
    if (this.byKeyHash.size >= PartnerKeyCache.MAX_ENTRIES) this.byKeyHash.clear();
    this.byKeyHash.set(keyHash, { partner: { ...partner }, expiresAt: Date.now() + this.ttlMs });
  }

  forget(partnerId: string): void {
    for (const [keyHash, { partner }] of this.byKeyHash) if (partner.id === partnerId) this.byKeyHash.delete(keyHash);
  }
}

/** `x-api-key` auth for the partner API, answering exactly as P100 does (401 xo1 / xo2). */
export function registerPartnerAuth(app: FastifyInstance): void {
  app.decorateRequest('partner', null as unknown as PartnerAuth);
  const cache = app.ctx.partnerKeys;
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['x-api-key'];
    if (typeof key !== 'string' || key === '') {
      return reply.code(401).send({ message: 'Access Denied. xo1' });
    }
    const keyHash = sha256(key);
    const cached = cache.get(keyHash);
    if (cached) {
      request.partner = cached;
      return;
    }
    const [partner] = await app.ctx.db.query<{ id: string; name: string; clock_offset_ms: bigint }>(
      'SELECT id, name, clock_offset_ms FROM partners WHERE api_key_hash = $1',
      [keyHash],
    );
    if (!partner) return reply.code(401).send({ message: 'Access Denied. xo2' });
    request.partner = { id: partner.id, name: partner.name, clockOffsetMs: partner.clock_offset_ms };
    cache.set(keyHash, request.partner);
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
