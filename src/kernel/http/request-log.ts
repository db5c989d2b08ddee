import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Request ids and the one log line per request.
 *
 * Every response carries a `Request-Id` header: the client's own `Request-Id` when it is valid
 * (1 to 128 of `A-Z a-z 0-9 . _ : -`), else a new UUID. Every error body carries the same id as
 * `requestId` (an addition to P100's error format, which clients ignore), and every log line of the
 * request carries it as `requestId`. A replayed idempotent answer is the stored body as it was: its
 * `requestId` names the request that produced it, the header names the replay.
 *
 * Fastify's two default lines (request received, response sent) are replaced by one line when the
 * response has gone: requestId, partnerId (when authenticated), method, route (the pattern, never
 * the URL with its ids), status, errorCode (the P-code, or xo1/xo2, when an error) and ms. Nothing
 * else of the request is logged: no headers (x-api-key, authorization, Idempotency-Key) and no
 * bodies (card data, personal data).
 */
export const REQUEST_ID_HEADER = 'request-id';

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's Request-Id when valid, else a new UUID (Fastify's `genReqId`). */
export function requestIdOf(raw: IncomingMessage): string {
  const given = raw.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The code of an error body: a P-code, or P100's xo1/xo2 of a 401. */
const ERROR_CODE = /"errorCode":"(P\d{3})"|Access Denied\. (xo\d)/;

declare module 'fastify' {
  interface FastifyRequest {
    /** The error code the response carries, for the request's log line. */
    errorCode?: string;
  }
}

/**
 * `requestId` into a JSON error body (`payload` as serialized), unless it has one already (a
 * replayed answer keeps the id of the request that produced it).
 */
export function withRequestId(payload: string, requestId: string): string {
  if (!payload.startsWith('{') || !payload.endsWith('}') || payload.includes('"requestId":')) return payload;
  return payload.length === 2 ? `{"requestId":"${requestId}"}` : `${payload.slice(0, -1)},"requestId":"${requestId}"}`;
}

export function registerRequestLog(app: FastifyInstance): void {
  app.decorateRequest('errorCode', undefined);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
    request.errorCode ??= ERROR_CODE.exec(payload)?.slice(1).find(Boolean);
    const type = String(reply.getHeader('content-type') ?? '');
    return type.includes('json') ? withRequestId(payload, request.id) : payload;
  });
  app.addHook('onResponse', async (request, reply) => logRequest(request, reply));
}

function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  const status = reply.statusCode;
  const line = {
    partnerId: (request as { partner?: { id: string } | null }).partner?.id,
    method: request.method,
    route: request.routeOptions.url ?? '(no route)',
    status,
    errorCode: request.errorCode,
    ms: Math.round(reply.elapsedTime * 10) / 10,
  };
  const failed = status >= 500 || request.errorCode === 'P500';
  if (failed) request.log.error(line, 'request');
  else request.log.info(line, 'request');
}
