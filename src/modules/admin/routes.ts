import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { answer, ErrorBody, Uuid } from '../../kernel/schemas.js';
import { createPartner, listPartners, rotateApiKey, rotateWebhookToken } from '../partners/index.js';

const Partner = Type.Object({
  id: Uuid,
  name: Type.String({ examples: ['Acme Pay'] }),
  apiKeyPrefix: Type.String({ description: 'The first characters of its API key', examples: ['ck_3kV9'] }),
  createdAt: Type.String({ format: 'date-time' }),
}, { title: 'Partner', description: 'A partner of this install' });

const security = [{ adminToken: [] }];
const errors = {
  400: answer(ErrorBody, 'Error (`errorCode`):\n\n- `P403`: the request does not match the schema'),
  401: answer(ErrorBody, 'Error (`errorCode`):\n\n- `P607` admin-unauthorized: missing or wrong operator token'),
};
/** Rotations name a partner: an unknown id is P418 (HTTP 400, as P100 answers it). */
const unknownPartner = { 400: answer(ErrorBody, 'Error (`errorCode`):\n\n- `P418` partner-not-found\n- `P403`: the request does not match the schema') };

/** Operator API: `Authorization: Bearer $CENTUM_ADMIN_TOKEN` (the server registers it behind registerAdminAuth). */
export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app.ctx;

  app.post('/admin/v1/partners', {
    schema: {
      operationId: 'createPartner', tags: ['Operator'], summary: 'Create a partner', security,
      description: 'Creates a partner with its balances; its API key and webhook token are shown in this answer only.',
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200, examples: ['Acme Pay'] }) }, { additionalProperties: false, title: 'PartnerRequest' }),
      response: {
        201: Type.Object({ id: Uuid, name: Type.String(), apiKey: Type.String({ examples: ['ck_3kV9…'] }), webhookToken: Type.String({ examples: ['wh_8Qd…'] }) }, {
          title: 'PartnerCreated', description: 'The new partner and its secrets (shown once)',
        }),
        ...errors,
      },
    },
  }, async (request, reply) => {
    const partner = await createPartner(db, config.secretKey, request.body.name.trim());
    return reply.code(201).send(partner);
  });

  app.get('/admin/v1/partners', {
    schema: {
      operationId: 'listPartners', tags: ['Operator'], summary: 'List partners', security,
      description: 'Every partner of this install, without secrets.',
      response: { 200: Type.Object({ partners: Type.Array(Partner) }, { title: 'PartnerList', description: 'The partners' }), ...errors },
    },
  }, async () => ({
    partners: (await listPartners(db)).map((p) => ({
      id: p.id, name: p.name, apiKeyPrefix: p.api_key_prefix, createdAt: p.created_at.toISOString(),
    })),
  }));

  app.post('/admin/v1/partners/:partnerId/rotate-api-key', {
    schema: {
      operationId: 'rotatePartnerApiKey', tags: ['Operator'], summary: "Rotate a partner's API key", security,
      description: 'Issues a new API key, shown once; the old key stops working (at once in this process, within AUTH_CACHE_MS elsewhere).',
      params: Type.Object({ partnerId: Uuid }),
      response: {
        200: Type.Object({ id: Uuid, apiKey: Type.String() }, { title: 'RotatedApiKey', description: 'The new API key (shown once)' }),
        ...errors, ...unknownPartner,
      },
    },
  }, async (request) => {
    const rotated = await rotateApiKey(db, request.params.partnerId);
    app.ctx.partnerKeys.forget(rotated.id); // the old key stops working in this process at once
    return rotated;
  });

  app.post('/admin/v1/partners/:partnerId/rotate-webhook-token', {
    schema: {
      operationId: 'rotatePartnerWebhookToken', tags: ['Operator'], summary: "Rotate a partner's webhook token", security,
      description: 'Issues a new webhook token, shown once; deliveries use it from their next attempt on.',
      params: Type.Object({ partnerId: Uuid }),
      response: {
        200: Type.Object({ id: Uuid, webhookToken: Type.String() }, { title: 'RotatedWebhookToken', description: 'The new webhook token (shown once)' }),
        ...errors, ...unknownPartner,
      },
    },
  }, async (request) => rotateWebhookToken(db, config.secretKey, request.params.partnerId));
};
