import type { FastifyError, FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { DatabaseUnavailableError, isTransientDatabaseError } from '../db.js';
import { ApiError, validationError } from '../errors.js';

/** Seconds a client should wait before retrying a 503 P501. */
export const RETRY_AFTER_SECONDS = 1;

function describeValidation(error: FastifyError): string {
  return (error.validation ?? [])
    .map((v: any) => {
      const field = [...String(v.instancePath ?? '').split('/').filter(Boolean)];
      if (v.keyword === 'required') field.push(v.params.missingProperty);
      if (v.keyword === 'additionalProperties') return `property ${v.params.additionalProperty} should not exist`;
      const name = field.join('.') || (error.validationContext ?? 'request');
      if (v.keyword === 'required') return `${name} should not be empty`;
      return `${name} ${v.message}`;
    })
    .filter((m, i, all) => all.indexOf(m) === i)
    .join('. ');
}

/** True when a string anywhere in `value` holds a NUL character, which PostgreSQL text cannot store. */
function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  for (const key in value as Record<string, unknown>) {
    if (key.includes('\u0000') || hasNul((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/**
 * Maps every failure to P100's error format. Nothing internal ever reaches the body. A database
 * that cannot do the work now (lost connection, a bound hit, a deadlock after retries) is 503 P501
 * with Retry-After; anything else unexpected is P500, logged with the request id and counted.
 */
export function registerErrorHandling(app: FastifyInstance, registry: Registry): void {
  const unhandled = new Counter({
    name: 'centum_unhandled_errors_total', help: 'Requests answered P500 (unexpected errors)', registers: [registry],
  });
  const unavailable = new Counter({
    name: 'centum_database_unavailable_total', help: 'Requests answered 503 P501 (database unavailable or a bound hit)', registers: [registry],
  });
  app.addHook('preValidation', async (request) => {
    if (hasNul(request.params) || hasNul(request.query) || hasNul(request.body)) {
      throw validationError('text must not contain NUL (\\u0000) characters');
    }
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let apiError: ApiError;
    if (error instanceof ApiError) {
      apiError = error;
    } else if (error.validation) {
      apiError = validationError(describeValidation(error));
    } else if (error.statusCode === 413) {
      apiError = new ApiError('P604');
    } else if (error.statusCode === 415) {
      apiError = new ApiError('P605');
    } else if (error.statusCode === 429) {
      apiError = new ApiError('P603', error.message);
    } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      // Malformed JSON, empty JSON body, bad content length...
      apiError = validationError(error.message);
    } else if (isTransientDatabaseError(error)) {
      unavailable.inc();
      request.log.warn({ err: error }, 'database unavailable');
      const unknown = error instanceof DatabaseUnavailableError && error.outcomeUnknown;
      apiError = new ApiError('P501', `Service temporarily unavailable${unknown ? '; the request may have been applied' : ''}, `
        + `retry in ${RETRY_AFTER_SECONDS} s${unknown ? ' with the same Idempotency-Key' : ''} (request id ${request.id})`);
    } else {
      unhandled.inc();
      request.log.error({ err: error }, 'unhandled error');
      apiError = new ApiError('P500', `Unknown exception (request id ${request.id})`);
    }
    request.errorCode = apiError.code;
    if (apiError.code === 'P501') reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    reply.code(apiError.status).type('application/json').send(apiError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError('P600', `No endpoint ${request.method} ${request.url.split('?')[0]}`);
    reply.code(error.status).send(error.toBody());
  });
}
