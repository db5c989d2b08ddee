import { isUuid } from '../../kernel/ids.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError, validationError } from '../../kernel/errors.js';
import { decodeCursor, encodeCursor, Nullable, PageQuery, partnerErrors, Timestamp, Uuid } from '../../kernel/schemas.js';
import { EVENT_PATHS } from '../../outbox/events.js';
import { replayDelivery } from './engine.js';
import { getSettings, saveSettings, type WebhookSettings } from './settings.js';
import { getDelivery, listDeliveries } from './store.js';
import { assertPublicDestination, parseWebhookUrl } from './url-guard.js';

const PayloadFormat = Type.Union([Type.Literal('flat'), Type.Literal('envelope')], {
  description: 'flat: the P100 body as is (default); envelope: {"event_type","event_id","created_at","data"}',
});

const SettingsView = Type.Object({
  url: Nullable(Type.String({ description: 'Base URL; each event is POSTed to this URL plus its path' })),
  enabled: Type.Boolean(),
  payloadFormat: PayloadFormat,
  updatedAt: Nullable(Timestamp),
});

const AttemptView = Type.Object({
  attempt: Type.Integer({ description: '1 = initial delivery, then the retries' }),
  status: Type.String({ description: 'SENDING | SUCCEEDED | FAILED | INTERRUPTED' }),
  url: Type.String(),
  statusCode: Nullable(Type.Integer()),
  latencyMs: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  startedAt: Timestamp,
  finishedAt: Nullable(Timestamp),
});

const DeliveryView = Type.Object({
  id: Uuid,
  eventId: Uuid,
  eventType: Type.String(),
  path: Type.String(),
  url: Nullable(Type.String({ description: 'URL of the latest attempt' })),
  status: Type.String({ description: 'PENDING | SUCCEEDED | FAILED | SKIPPED' }),
  skipReason: Nullable(Type.String()),
  attemptCount: Type.Integer(),
  nextAttemptAt: Nullable(Timestamp),
  replayOf: Nullable(Uuid),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  payload: Type.Object({}, { additionalProperties: true, description: 'The event body (flat P100 format)' }),
  attempts: Type.Array(AttemptView),
});

const settingsView = (s: WebhookSettings) => ({
  url: s.url, enabled: s.enabled, payloadFormat: s.payloadFormat, updatedAt: s.updatedAt ? s.updatedAt.toISOString() : null,
});

/** Webhook settings, the delivery log and replay (Centum's own endpoints; P100 arranges URLs at onboarding). */
export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config, resolveHost } = app.ctx;

  app.get('/v1/partner/webhook-settings', {
    schema: { tags: ['Webhooks'], summary: 'Get the webhook settings (Centum)', response: { 200: SettingsView, ...partnerErrors } },
  }, async (request) => settingsView(await getSettings(db, request.partner.id)));

  app.put('/v1/partner/webhook-settings', {
    schema: {
      tags: ['Webhooks'], summary: 'Set the webhook base URL, on/off and payload format (Centum)',
      body: Type.Object({
        url: Nullable(Type.String({ minLength: 1, maxLength: 2048 })),
        enabled: Type.Optional(Type.Boolean({ default: true })),
        payloadFormat: Type.Optional(PayloadFormat),
      }, { additionalProperties: false }),
      response: { 200: SettingsView, ...partnerErrors },
    },
  }, async (request) => {
    const { url, enabled = true, payloadFormat = 'flat' } = request.body;
    let normalized: string | null = null;
    if (url !== null) {
      const parsed = parseWebhookUrl(url);
      await assertPublicDestination(parsed, config.webhookAllowPrivate, resolveHost);
      normalized = parsed.toString().replace(/\/+$/, '');
    }
    const saved = await saveSettings(db, request.partner.id, { url: normalized, enabled, payloadFormat }, partnerNow(request.partner.clockOffsetMs));
    return settingsView(saved);
  });

  app.get('/v1/partner/webhook-deliveries', {
    schema: {
      tags: ['Webhooks'], summary: 'Webhook delivery log, newest first, each delivery with its attempts (Centum)',
      querystring: Type.Object({
        ...PageQuery,
        status: Type.Optional(Type.Union(['PENDING', 'SUCCEEDED', 'FAILED', 'SKIPPED'].map((s) => Type.Literal(s)))),
        eventType: Type.Optional(Type.Union(Object.keys(EVENT_PATHS).map((t) => Type.Literal(t)))),
        eventId: Type.Optional(Uuid),
        from: Type.Optional(Type.String({ format: 'date-time', description: 'createdAt from (inclusive)' })),
        to: Type.Optional(Type.String({ format: 'date-time', description: 'createdAt to (exclusive)' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ deliveries: Type.Array(DeliveryView), nextCursor: Nullable(Type.String()) }), ...partnerErrors },
    },
  }, async (request) => {
    const { limit = 20, cursor, status, eventType, eventId, from, to } = request.query;
    const [beforeId] = decodeCursor(cursor) ?? [];
    if (beforeId !== undefined && (typeof beforeId !== 'string' || !isUuid(beforeId))) throw validationError('cursor is not valid');
    const rows = await listDeliveries(db, request.partner.id, {
      status, eventType, eventId, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined, beforeId: beforeId as string | undefined,
    }, limit + 1);
    const page = rows.slice(0, limit);
    return { deliveries: page, nextCursor: rows.length > limit ? encodeCursor([page[page.length - 1].id]) : null };
  });

  app.post('/v1/partner/webhook-deliveries/:id/replay', {
    schema: {
      tags: ['Webhooks'], summary: 'Send a delivery\'s event again, as a new delivery with its own attempts (Centum)',
      params: Type.Object({ id: Type.String() }),
      response: { 201: DeliveryView, ...partnerErrors },
    },
  }, async (request, reply) => {
    if (!isUuid(request.params.id)) throw new ApiError('P651');
    const now = partnerNow(request.partner.clockOffsetMs);
    const id = await db.tx((q) => replayDelivery(q, request.partner.id, request.params.id.toLowerCase(), now));
    return reply.code(201).send((await getDelivery(db, request.partner.id, id))!);
  });
};
