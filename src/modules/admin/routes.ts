import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, Uuid } from '../../kernel/schemas.js';
import { createPartner, listPartners, rotateApiKey, rotateWebhookToken } from '../partners/index.js';

const Partner = Type.Object({
  id: Uuid,
  name: Type.String(),
  apiKeyPrefix: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

const security = [{ adminToken: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

/** Operator API: `Authorization: Bearer $CENTUM_ADMIN_TOKEN` (the server registers it behind registerAdminAuth). */
export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app.ctx;

  app.post('/admin/v1/partners', {
    schema: {
      tags: ['Operator'], summary: 'Create a partner (secrets are shown once)', security,
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
      response: {
        201: Type.Object({ id: Uuid, name: Type.String(), apiKey: Type.String(), webhookToken: Type.String() }),
        ...errors,
      },
    },
  }, async (request, reply) => {
    const partner = await createPartner(db, config.secretKey, request.body.name.trim());
    return reply.code(201).send(partner);
  });

  app.get('/admin/v1/partners', {
    schema: {
      tags: ['Operator'], summary: 'List partners', security,
      response: { 200: Type.Object({ partners: Type.Array(Partner) }), ...errors },
    },
  }, async () => ({
    partners: (await listPartners(db)).map((p) => ({
      id: p.id, name: p.name, apiKeyPrefix: p.api_key_prefix, createdAt: p.created_at.toISOString(),
    })),
  }));

  app.post('/admin/v1/partners/:partnerId/rotate-api-key', {
    schema: {
      tags: ['Operator'], summary: "Rotate a partner's API key (the old key stops working)", security,
      params: Type.Object({ partnerId: Uuid }),
      response: { 200: Type.Object({ id: Uuid, apiKey: Type.String() }), ...errors },
    },
  }, async (request) => {
    const rotated = await rotateApiKey(db, request.params.partnerId);
    app.ctx.partnerKeys.forget(rotated.id); // the old key stops working in this process at once
    return rotated;
  });

  app.post('/admin/v1/partners/:partnerId/rotate-webhook-token', {
    schema: {
      tags: ['Operator'], summary: "Rotate a partner's webhook token", security,
      params: Type.Object({ partnerId: Uuid }),
      response: { 200: Type.Object({ id: Uuid, webhookToken: Type.String() }), ...errors },
    },
  }, async (request) => rotateWebhookToken(db, config.secretKey, request.params.partnerId));
};
