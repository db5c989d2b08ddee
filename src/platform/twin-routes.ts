import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger, FastifyInstance, FastifyRequest, FastifySchema, RawReplyDefaultExpression, RawRequestDefaultExpression,
  RawServerDefault, RouteGenericInterface,
} from 'fastify';

/** The app a TypeBox route plugin gets (FastifyPluginAsyncTypebox). */
export type TypeBoxApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** A request typed by a route's schema, as an inline handler of that route sees it. */
export type TypedRequest<S extends FastifySchema> =
  FastifyRequest<RouteGenericInterface, RawServerDefault, RawRequestDefaultExpression, S, TypeBoxTypeProvider>;

/**
 * One side of a twin: its path, its contract name (`operationId`, camelCase, verb first: each side
 * has its own), its summary, and what it adds to the shared schema (a user id, a body field, its
 * own error responses).
 */
export interface TwinSide<S extends FastifySchema> {
  url: string;
  operationId: string;
  summary: string;
  schema?: S;
}

type NoSchema = Record<never, never>;

/**
 * A P100 endpoint that exists twice: for the partner's own balances (`/v1/partner/...`) and for one
 * of its users (the same path without `/partner`, the user named in the path or the body). Both
 * share a schema and one handler, which is told the level it serves; on the user side the request
 * has what that side's schema adds (TypeScript narrows it on `level === 'user'`). A handler that
 * serves both sides alike still names the second parameter (`_level`): TypeScript checks a handler
 * against both sides' parameter lists, and a shorter list does not match them.
 */
export interface TwinRoute<T extends FastifySchema, P extends FastifySchema, U extends FastifySchema> {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** What both sides share: tags, description, params, querystring, body, response. */
  schema: T;
  partner: TwinSide<P>;
  user: TwinSide<U>;
  handler: (...call: [request: TypedRequest<T & P>, level: 'partner'] | [request: TypedRequest<T & U>, level: 'user']) => Promise<unknown>;
}

/** Registers both sides of a twin endpoint, the partner's first. */
export function twinRoutes<T extends FastifySchema, P extends FastifySchema = NoSchema, U extends FastifySchema = NoSchema>(
  app: TypeBoxApp,
  route: TwinRoute<T, P, U>,
): void {
  const method = route.method ?? 'GET';
  // The schemas type each side's request for `route.handler`; registration itself needs no provider.
  const untyped = app as unknown as FastifyInstance;
  untyped.route({
    method, url: route.partner.url,
    schema: { ...route.schema, ...route.partner.schema, summary: route.partner.summary, operationId: route.partner.operationId } as FastifySchema,
    handler: (request) => route.handler(request as TypedRequest<T & P>, 'partner'),
  });
  untyped.route({
    method, url: route.user.url,
    schema: { ...route.schema, ...route.user.schema, summary: route.user.summary, operationId: route.user.operationId } as FastifySchema,
    handler: (request) => route.handler(request as TypedRequest<T & U>, 'user'),
  });
}
