import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { safeEqual, sha256 } from '../secrets.js';
import type { PartnerAuth } from './partner.js';
import type { AuthFailureLimiter } from './rate-limit.js';

/**
 * Partners found by API key, kept for `ttlMs` so a burst of requests does not read the partners
 * table each time. The process that rotates a key or moves a partner's sandbox clock forgets the
 * partner at once (`forget`); other processes see the change within `ttlMs` (AUTH_CACHE_MS).
 *
 * A key found valid is also vouched for during `vouchMs` (the rate-limit window): while its client
 * IP is over the failed-authentication limit, only such a key is still looked up (and served).
 * A wrong key is remembered for `refusedTtlMs` (AUTH_FAILURE_CACHE_MS) so repeating it costs no
 * lookup. Keys are random 256-bit tokens, so a key refused now can only become valid by a rotation
 * that issued exactly it: not in practice, and then it would be refused for `refusedTtlMs` at most.
 */
export class PartnerKeyCache {
  private readonly byKeyHash = new Map<string, { partner: PartnerAuth; expiresAt: number; vouchedUntil: number }>();
  /** Wrong key hashes and when to forget them, oldest first. */
  private readonly refused = new Map<string, number>();
  private static readonly MAX_ENTRIES = 10_000;
  private readonly ttlMs: number;
  private readonly vouchMs: number;
  private readonly refusedTtlMs: number;

  constructor(options: { ttlMs: number; vouchMs: number; refusedTtlMs: number }) {
    ({ ttlMs: this.ttlMs, vouchMs: this.vouchMs, refusedTtlMs: this.refusedTtlMs } = options);
  }

  get(keyHash: string): PartnerAuth | undefined {
    const hit = this.byKeyHash.get(keyHash);
    if (!hit || hit.expiresAt <= Date.now()) return undefined;
    return { ...hit.partner }; // a copy: a handler may change its request's partner
  }

  /** True when this key was found valid within `vouchMs` (a forgotten partner's keys too: a lookup will tell). */
  vouched(keyHash: string): boolean {
    const hit = this.byKeyHash.get(keyHash);
    if (!hit) return false;
    if (hit.vouchedUntil > Date.now()) return true;
    this.byKeyHash.delete(keyHash);
    return false;
  }

  set(keyHash: string, partner: PartnerAuth): void {
    if (this.byKeyHash.size >= PartnerKeyCache.MAX_ENTRIES) this.byKeyHash.clear();
    const now = Date.now();
    this.byKeyHash.set(keyHash, { partner: { ...partner }, expiresAt: now + this.ttlMs, vouchedUntil: now + this.vouchMs });
    this.refused.delete(keyHash);
  }

  /** The partner's keys are read from the table again at their next use. */
  forget(partnerId: string): void {
    for (const entry of this.byKeyHash.values()) if (entry.partner.id === partnerId) entry.expiresAt = 0;
  }

  /** Remembers a key the partners table does not hold. */
  refuse(keyHash: string): void {
    if (this.refusedTtlMs === 0) return;
    this.refused.delete(keyHash);
    if (this.refused.size >= PartnerKeyCache.MAX_ENTRIES) this.refused.delete(this.refused.keys().next().value!);
    this.refused.set(keyHash, Date.now() + this.refusedTtlMs);
  }

  isRefused(keyHash: string): boolean {
    const until = this.refused.get(keyHash);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.refused.delete(keyHash);
    return false;
  }
}

/**
 * `x-api-key` auth for the partner API, answering exactly as P100 does (401 xo1 / xo2). Every 401
 * counts against the client IP's failed-authentication budget (`failures`); over it, the IP gets
 * 429 P603 without a database lookup, except for a key this process has vouched for.
 */
export function registerPartnerAuth(app: FastifyInstance, failures: AuthFailureLimiter): void {
  app.decorateRequest('partner', null as unknown as PartnerAuth);
  const cache = app.ctx.partnerKeys;
  const deny = async (request: FastifyRequest, reply: FastifyReply, code: 'xo1' | 'xo2') => {
    await failures.record(request.ip);
    return reply.code(401).send({ message: `Access Denied. ${code}` });
  };
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['x-api-key'];
    const keyHash = typeof key === 'string' && key !== '' ? sha256(key) : undefined;
    const cached = keyHash && cache.get(keyHash);
    if (cached) {
      request.partner = cached;
      return;
    }
    if (!keyHash || !cache.vouched(keyHash)) {
      const retryMs = await failures.blockedFor(request.ip);
      if (retryMs > 0) {
        const seconds = Math.ceil(retryMs / 1000);
        const error = new ApiError('P603', `Too many failed authentications from this address: at most ${failures.limit} per window; retry in ${seconds} s`);
        return reply.code(429).header('retry-after', String(seconds)).send(error.toBody());
      }
    }
    if (!keyHash) return deny(request, reply, 'xo1');
    if (cache.isRefused(keyHash)) return deny(request, reply, 'xo2');
    const [partner] = await app.ctx.db.query<{ id: string; name: string; clock_offset_ms: bigint }>(
      'SELECT id, name, clock_offset_ms FROM partners WHERE api_key_hash = $1',
      [keyHash],
    );
    if (!partner) {
      cache.refuse(keyHash);
      return deny(request, reply, 'xo2');
    }
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
