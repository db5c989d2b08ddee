import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from './context.js';
import { registerErrorHandling } from './kernel/http/errors.js';
import { PartnerKeyCache, registerAdminAuth, registerPartnerAuth } from './kernel/http/auth.js';
import { registerIdempotency } from './kernel/http/idempotency.js';
import { REQUEST_ID_HEADER, registerRequestLog, requestIdOf } from './kernel/http/request-log.js';
import { createMetricsRegistry, registerMetrics } from './kernel/http/metrics.js';
import { ApiError } from './kernel/errors.js';
import { registerRateLimit } from './kernel/http/rate-limit.js';
import { registerStrictValidation } from './kernel/http/validation.js';
import { MODULES } from './modules/index.js';
import { resolveWithDns, type ResolveHost } from './modules/webhooks/index.js';
import { jobHandlers, type CentumModule } from './platform/module.js';
import { registerApiReference } from './platform/api-reference.js';
import { swaggerOptions } from './platform/openapi.js';
import { loadConfig, type Config } from './config.js';
import { createFx, type Fx } from './rails/fx/rates.js';
import type { Db } from './kernel/db.js';

export interface BuildOptions {
  config: Config;
  db: Db;
  /** Pino logger options, or false for none (tests). */
  logger?: boolean | object;
  /** How webhook destinations are resolved (tests inject a rebinding DNS server); the system's by default. */
  resolveHost?: ResolveHost;
  /** The FX rail (the one `config.fx` describes unless given). */
  fx?: Fx;
  /** The modules to serve and whose jobs the sandbox clock runs: all of them (MODULES) unless a test adds one. */
  modules?: readonly CentumModule[];
}

/** Builds the HTTP app: plugins, error format, modules. No business logic here. */
export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config, db, logger, resolveHost = resolveWithDns, modules = MODULES, fx = createFx(options.config.fx) } = options;
  const app: FastifyInstance = Fastify({
    // One line per request (src/kernel/http/request-log.ts) instead of Fastify's two; the redaction
    // is a second guard should anything log a request's headers.
    logger: logger ?? {
      level: config.logLevel,
      redact: ['req.headers["x-api-key"]', 'req.headers.authorization', 'req.headers["idempotency-key"]', 'req.headers.cookie'],
    },
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: config.bodyLimit,
    // Slow clients: the whole request must arrive within requestMs, an idle socket is closed after
    // connectionMs. Node checks these bounds every connectionsCheckingInterval.
    requestTimeout: config.timeouts.requestMs,
    connectionTimeout: config.timeouts.connectionMs,
    http: {
      headersTimeout: Math.min(60_000, config.timeouts.requestMs),
      connectionsCheckingInterval: Math.min(1000, config.timeouts.requestMs),
    },
    trustProxy: config.trustProxy, // client IP for the per-IP rate limit behind a load balancer
    genReqId: requestIdOf, // the client's valid Request-Id, else a UUID
    // Requests Node's HTTP parser refuses (oversized headers, broken framing) also get a P100 body,
    // a Request-Id (new: the request's headers were not read) and a log line.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return socket.destroy();
      const code = (error as NodeJS.ErrnoException).code;
      const [status, body] = code === 'HPE_HEADER_OVERFLOW'
        ? ['431 Request Header Fields Too Large', { errorCode: 'P403', errorMessage: 'Request headers are too large' }]
        : code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ['408 Request Timeout', new ApiError('P609').toBody()]
          : ['400 Bad Request', { errorCode: 'P403', errorMessage: 'Malformed HTTP request' }];
      const requestId = crypto.randomUUID();
      const text = JSON.stringify({ ...body, requestId });
      app.log.info({ requestId, status: Number(status.slice(0, 3)), errorCode: body.errorCode, reason: code }, 'request refused by the HTTP parser');
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
        `${REQUEST_ID_HEADER}: ${requestId}\r\nConnection: close\r\n\r\n${text}`);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const partnerKeys = new PartnerKeyCache({
    ttlMs: config.authCacheMs, vouchMs: config.rateLimitWindowMs, refusedTtlMs: config.authFailureCacheMs,
  });
  const jobs = { handlers: jobHandlers(modules), config, fx, resolveHost };
  const ctx: AppContext = { config, db, log: app.log, partnerKeys, resolveHost, fx, jobs };
  app.decorate('ctx', ctx);
  registerRequestLog(app);
  registerStrictValidation(app);
  const metrics = createMetricsRegistry();
  registerErrorHandling(app, metrics);
  // JSON only (multipart is added by the routes that take files): anything else is 415 P605.
  app.removeContentTypeParser('text/plain');
  const authFailures = await registerRateLimit(app, config);

  // The contract (src/platform/openapi.ts) and its reference page; both list every module's routes.
  await app.register(swagger, swaggerOptions(modules));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await registerApiReference(app);

  registerMetrics(app, metrics);
  for (const { publicRoutes } of modules) if (publicRoutes) await app.register(publicRoutes);

  await app.register(async (adminApi) => {
    registerAdminAuth(adminApi);
    for (const { adminRoutes } of modules) if (adminRoutes) await adminApi.register(adminRoutes);
  });

  await app.register(async (partnerApi) => {
    registerPartnerAuth(partnerApi, authFailures);
    registerIdempotency(partnerApi);
    for (const { routes } of modules) if (routes) await partnerApi.register(routes);
    if (config.sandbox) for (const { sandboxRoutes } of modules) if (sandboxRoutes) await partnerApi.register(sandboxRoutes);
  });

  await app.ready();
  return app;
}

/**
 * The contract as `/openapi.json` serves it: every module's routes, sandbox included, built with the
 * default settings (the document does not depend on the environment) and without a database.
 */
export async function openApiDocument(modules: readonly CentumModule[] = MODULES): Promise<Record<string, unknown>> {
  const db = new Proxy({} as Db, {
    get: (_target, property) => (property === 'kind' ? 'pglite' : () => { throw new Error('the OpenAPI document is built without a database'); }),
  });
  // Given secrets so that nothing is read or written (no DATA_DIR/secret.key): the routes never run.
  const config = loadConfig({ CENTUM_SECRET_KEY: 'openapi-document', CENTUM_ADMIN_TOKEN: 'openapi-document-token' });
  const app = await buildApp({ config: { ...config, sandbox: true }, db, logger: false, modules });
  try {
    return structuredClone(app.swagger()) as Record<string, unknown>;
  } finally {
    await app.close();
  }
}
