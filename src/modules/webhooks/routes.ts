import { isUuid } from '../../kernel/ids.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError, validationError } from '../../kernel/errors.js';
import { answer, decodeCursor, encodeCursor, errorResponses, Nullable, PageQuery, StringEnum, Timestamp, Uuid } from '../../kernel/schemas.js';
import { EVENT_PATHS } from '../../outbox/events.js';
import { replayDelivery } from './engine.js';
import { getSettings, saveSettings, type WebhookSettings } from './settings.js';
import { getDelivery, listDeliveries } from './store.js';
import { assertPublicDestination, parseWebhookUrl } from './url-guard.js';

const PayloadFormat = StringEnum(['flat', 'envelope'], {
  description: 'flat: the P100 body as is (default); envelope: {"event_type","event_id","created_at","data"}',
});
const EVENT_TYPES = Object.keys(EVENT_PATHS) as (keyof typeof EVENT_PATHS)[];
const DELIVERY_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'SKIPPED'] as const;
// Answers are typed string (the store reads them as text); filters are typed by their values.
const EventTypeEnum = StringEnum(EVENT_TYPES as string[], { examples: ['transfer.status'] });
const DeliveryStatus = StringEnum(DELIVERY_STATUSES as readonly string[]);

const SettingsView = Type.Object({
  url: Nullable(Type.String({ description: 'Base URL; each event is POSTed to this URL plus its path', examples: ['https://partner.example.com/p100'] })),
  enabled: Type.Boolean(),
  payloadFormat: PayloadFormat,
  updatedAt: Nullable(Timestamp),
}, { title: 'WebhookSettings', description: 'Where and how events are sent' });

const AttemptView = Type.Object({
  attempt: Type.Integer({ description: '1 = initial delivery, then the retries' }),
  status: StringEnum(['SENDING', 'SUCCEEDED', 'FAILED', 'INTERRUPTED'] as string[], { description: 'INTERRUPTED: the server stopped during the call' }),
  url: Type.String(),
  statusCode: Nullable(Type.Integer()),
  latencyMs: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  startedAt: Timestamp,
  finishedAt: Nullable(Timestamp),
}, { title: 'WebhookAttempt', description: 'One attempt to deliver an event' });

const DeliveryView = Type.Object({
  id: Uuid,
  eventId: Uuid,
  eventType: EventTypeEnum,
  path: Type.String({ examples: ['/transfer-webhook'] }),
  url: Nullable(Type.String({ description: 'URL of the latest attempt' })),
  status: DeliveryStatus,
  skipReason: Nullable(Type.String()),
  attemptCount: Type.Integer(),
  nextAttemptAt: Nullable(Timestamp),
  replayOf: Nullable(Uuid),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  payload: Type.Object({}, { additionalProperties: true, description: 'The event body (flat P100 format)' }),
  attempts: Type.Array(AttemptView),
}, { title: 'WebhookDelivery', description: 'The delivery of one event: its attempts, and the next one if any' });

const settingsView = (s: WebhookSettings) => ({
  url: s.url, enabled: s.enabled, payloadFormat: s.payloadFormat, updatedAt: s.updatedAt ? s.updatedAt.toISOString() : null,
});

/** Webhook settings, the delivery log and replay (Centum's own endpoints; P100 arranges URLs at onboarding). */
export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config, resolveHost } = app.ctx;

  app.get('/v1/partner/webhook-settings', {
    schema: {
      operationId: 'getWebhookSettings', tags: ['Webhooks'], summary: 'Get the webhook settings (Centum)',
      description: 'Where events are sent, whether they are, and in which format.',
      response: { 200: answer(SettingsView, 'The settings'), ...errorResponses() },
    },
  }, async (request) => settingsView(await getSettings(db, request.partner.id)));

  app.put('/v1/partner/webhook-settings', {
    schema: {
      operationId: 'setWebhookSettings', tags: ['Webhooks'], summary: 'Set the webhook settings (Centum)',
      description: 'Replaces the base URL (null for none), on/off and payload format; omitted fields fall back to their defaults. '
        + 'A URL on a private network is P650 (unless the server allows them).',
      body: Type.Object({
        url: Nullable(Type.String({ minLength: 1, maxLength: 2048, examples: ['https://partner.example.com/p100'] })),
        enabled: Type.Optional(Type.Boolean({ default: true })),
        payloadFormat: Type.Optional(PayloadFormat),
      }, { additionalProperties: false, title: 'WebhookSettingsRequest' }),
      response: { 200: answer(SettingsView, 'The saved settings'), ...errorResponses('P650') },
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
      operationId: 'listWebhookDeliveries', tags: ['Webhooks'], summary: 'List webhook deliveries (Centum)',
      description: 'The delivery log, newest first, each delivery with its attempts; filter by status, event and time.',
      querystring: Type.Object({
        ...PageQuery,
        status: Type.Optional(StringEnum(DELIVERY_STATUSES)),
        eventType: Type.Optional(StringEnum(EVENT_TYPES, { examples: ['transfer.status'] })),
        eventId: Type.Optional(Uuid),
        from: Type.Optional(Type.String({ format: 'date-time', description: 'createdAt from (inclusive)' })),
        to: Type.Optional(Type.String({ format: 'date-time', description: 'createdAt to (exclusive)' })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          deliveries: Type.Array(DeliveryView),
          nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })),
        }, { title: 'WebhookDeliveryList', description: 'A page of deliveries, newest first' }),
        ...errorResponses(),
      },
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
      operationId: 'replayWebhookDelivery', tags: ['Webhooks'], summary: 'Replay a webhook delivery (Centum)',
      description: "Sends the delivery's event again as a new delivery (same `centum-event-id`, new `centum-delivery-id`) with its own attempts, due at once.",
      params: Type.Object({ id: Type.String() }),
      response: { 201: answer(DeliveryView, 'The new delivery'), ...errorResponses('P651', 'P652') },
    },
  }, async (request, reply) => {
    if (!isUuid(request.params.id)) throw new ApiError('P651');
    const now = partnerNow(request.partner.clockOffsetMs);
    const id = await db.tx((q) => replayDelivery(q, request.partner.id, request.params.id.toLowerCase(), now));
    return reply.code(201).send((await getDelivery(db, request.partner.id, id))!);
  });
};
