import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { TSchema } from '@sinclair/typebox';
import { ERRORS, type ErrorSpec } from '../kernel/errors.js';
import { ANY_CASE_ENUM } from '../kernel/schemas.js';
import { EVENT_PATHS, type EventType } from '../outbox/events.js';
import type { CentumModule } from './module.js';

/**
 * The OpenAPI 3.1 contract (`/openapi.json`, `docs/openapi.json`): @fastify/swagger turns the
 * routes' TypeBox schemas into paths; `finishDocument` then makes it a contract a partner's tools
 * accept: titled schemas lifted into `components.schemas`, the shared Idempotency-Key parameter on
 * every partner POST, lowercase enums for any-case request fields, the webhooks, the tags in the
 * order a partner reads them, and the guides (quickstart, errors, webhooks) in the description.
 * test/platform/openapi.test.ts lints the result with Redocly and holds every route to the
 * conventions (docs/decisions.md, "API contract").
 */

type Json = Record<string, any>;

/** Tags in reading order, each with what it covers; `TAG_GROUPS` sorts them into the sidebar's groups. */
export const TAGS: { name: string; description: string }[] = [
  { name: 'Partner balances', description: "The partner's own balances, deposit addresses and identity." },
  { name: 'Users', description: 'Onboard users (KYC model or not), update, suspend and delete them. A user is named by the partner\'s `externalUserId`.' },
  { name: 'KYC', description: 'Identity verification (Method A: the partner uploads document files; Method B: a hosted page for the user), the document data that activates a user, and proof of address.' },
  { name: 'User balances', description: "A user's balances: EUR (with an IBAN once KYC is approved) and one balance per crypto currency." },
  { name: 'Internal transfers', description: 'Move money between the partner and its users, or between users, at once and for free.' },
  { name: 'Exchange', description: 'Convert between currencies with a 40-second rate lock, on the partner\'s balances or a user\'s.' },
  { name: 'SEPA', description: 'EUR in (deposit info, contacts) and out (SEPA transfers, settled asynchronously).' },
  { name: 'Crypto', description: 'Crypto withdrawals (fees, details) and travel rule data for incoming deposits.' },
  { name: 'Orders', description: 'Accept a crypto payment that settles in EUR on the partner\'s balance.' },
  { name: 'Payment links', description: 'An amount in EUR a payer pays in crypto on a hosted checkout page; each transfer is converted and credited once.' },
  { name: 'KYC', description: 'Identity verification (document files or a hosted verification page) and proof of address.' },
  { name: 'Cards', description: 'Virtual cards of KYC users: issue, reveal (recorded), PIN, block and unblock, limits, delete; authorizations hold the user\'s EUR balance.' },
  { name: 'Transaction history', description: 'What moved money, newest first, page by page (`nextCursor`).' },
  { name: 'Webhooks', description: 'Where events are sent, the delivery log and replays (Centum). The events themselves are under **Webhook events**.' },
  { name: 'Webhook events', description: 'What Centum POSTs to the partner\'s server: one operation per event, with its body and headers.' },
  { name: 'Sandbox', description: 'Simulated outside world (only when `CENTUM_SANDBOX` is on): incoming payments, KYC decisions, the clock.' },
  { name: 'Operator', description: 'The operator of a Centum install: partners and their secrets. `Authorization: Bearer $CENTUM_ADMIN_TOKEN`.' },
  { name: 'Platform', description: 'Health of the server and its database (no key).' },
];

export const TAG_GROUPS = [
  { name: 'Partner API', tags: TAGS.map((t) => t.name).filter((t) => !['Webhook events', 'Sandbox', 'Operator', 'Platform'].includes(t)) },
  { name: 'Webhook events', tags: ['Webhook events'] },
  { name: 'Sandbox', tags: ['Sandbox'] },
  { name: 'Operator', tags: ['Operator', 'Platform'] },
];

const QUICKSTART = `
## Quickstart

1. **Get a key.** \`npm start\` prints a demo partner's \`x-api-key\` on the first start; an operator creates more with
   \`npx centum partner create --name NAME\` or \`POST /admin/v1/partners\`. Every partner call sends it:

   \`\`\`sh
   API=http://127.0.0.1:3000; KEY=ck_...
   curl -s -H "x-api-key: $KEY" $API/v1/partner/balances
   \`\`\`

2. **Onboard a user** (\`POST /v1/user/balances/crypto-and-fiat\`) and, in the sandbox, approve its KYC
   (\`POST /v1/sandbox/kyc-decision\`): its EUR balance gets an IBAN.

3. **Fund and move money**: a simulated incoming SEPA payment (\`POST /v1/sandbox/sepa-deposit\`), an internal
   transfer (\`POST /v1/transfer\`), an exchange with a rate lock (\`GET /v1/exchange/get-lock/{externalUserId}\`, then
   \`POST /v1/exchange\`), a SEPA payout (\`POST /v1/sepa-transfer\`).

4. **Let time pass**: \`POST /v1/sandbox/clock/advance\` moves your sandbox clock and runs what falls due
   (settlements, confirmations, webhook retries).

5. **Receive webhooks**: \`PUT /v1/partner/webhook-settings\` with your base URL; verify each delivery (below).

## Conventions

- **Amounts** are decimal strings (\`"12.50"\`) in answers; requests take a string or a JSON number.
- **Currencies and networks** are lowercase slugs (\`eur\`, \`usdc\`, \`polygon\`). Requests also accept them in
  upper case (\`EUR\`), as P100 clients send them; answers are always lowercase.
- **Idempotency**: every \`POST\` takes an \`Idempotency-Key\` header (1-255 characters). A retry with the same key
  and body gets the first answer again (header \`idempotent-replayed: true\`) and moves no money twice; the same key
  with another body is \`409 P601\`, a retry while the first request runs \`409 P602\`. Keys live 24 hours.
- **Times** are ISO 8601 in UTC, on the partner's clock (the wall clock unless the sandbox moved it).
- **Lists** are paged with \`limit\` and the \`nextCursor\` of the previous page.
`;

const WEBHOOKS_GUIDE = `
## Webhooks

Centum POSTs each event to the partner's base URL **plus the event's path** (see **Webhook events**), as a flat
P100 body (\`payloadFormat: flat\`) or an envelope \`{"event_type","event_id","created_at","data"}\`. Each delivery carries:

| Header | Meaning |
|---|---|
| \`Authorization\` | the partner's webhook token, raw (as P100 sends it) |
| \`x-p100-signature\` | hex HMAC-SHA256 of the raw body, keyed with the token |
| \`centum-signature\` | \`t=<unix seconds>,v1=<hex HMAC-SHA256(token, "<t>.<raw body>")>\`: reject a \`t\` more than 300 s away |
| \`centum-event-id\` | the same on every attempt and replay: de-duplicate on it |
| \`centum-event-type\`, \`centum-delivery-id\`, \`centum-attempt\` | the event type, the attempt chain, the attempt (1-5) |

Answer any \`2xx\` quickly; anything else is retried after about 8, 16, 32 and 64 s. The delivery log
(\`GET /v1/partner/webhook-deliveries\`) shows every attempt; a delivery can be sent again (\`POST …/replay\`).
The repository's \`docs/webhooks.md\` has the details and a verification snippet.
`;

/** The error table of the description, from the one registry of codes (as docs/errors.md). */
function errorsGuide(): string {
  const rows = Object.entries(ERRORS as Record<string, ErrorSpec>)
    .map(([code, spec]) => `| \`${code}\` | ${spec.status} | ${spec.name ? `\`${spec.name}\`: ` : ''}${spec.message} |`);
  return `
## Errors

Every error answers \`{"errorCode","errorName","errorMessage"}\` (the \`Error\` schema; validation errors, \`P403\`,
have no \`errorName\`). A wrong or missing \`x-api-key\` answers \`401 {"message":"Access Denied. xo2"}\`. Each
operation lists the codes it can answer. All codes:

| Code | HTTP | Name: message |
|---|---|---|
${rows.join('\n')}
`;
}

const DESCRIPTION = `Centum is an open-source, self-hosted implementation of the **P100 Partner API**: partner and user
balances in EUR (with IBANs) and crypto, exchange, SEPA and crypto rails, internal transfers, orders and webhooks.
Existing P100 client code works unchanged; what Centum adds (webhook settings, the delivery log, the sandbox) is marked *(Centum)*.
`;

/** Headers every webhook delivery carries besides `Authorization` (a security scheme). */
const WEBHOOK_HEADERS: Record<string, { description: string; example: string }> = {
  'x-p100-signature': { description: 'Hex HMAC-SHA256 of the raw body, keyed with the webhook token (P100)', example: '9f2c4e…' },
  'centum-signature': {
    description: 'Replay-safe signature: `t=<unix seconds>,v1=<hex HMAC-SHA256(token, "<t>.<raw body>")>`. Reject a `t` more than 300 s away.',
    example: 't=1795000000,v1=51ab0c…',
  },
  'centum-event-id': { description: 'The event: the same on every attempt and replay (de-duplicate on it)', example: '0193a5e2-7c4b-7d1e-9f20-3b8c1a2d4e5f' },
  'centum-event-type': { description: 'The event type, e.g. `transfer.status`', example: 'transfer.status' },
  'centum-delivery-id': { description: 'The attempt chain; a replay has a new one', example: '0193a5e2-8d10-7a2b-8c33-5e6f7a8b9c0d' },
  'centum-attempt': { description: 'The attempt, 1 to 5', example: '1' },
};

const headerParameterName = (header: string) => header.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('');

/** The options @fastify/swagger is registered with. */
export function swaggerOptions(modules: readonly CentumModule[]): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Centum: P100 Partner API',
        version: '0.1.0',
        summary: 'Self-hosted banking-as-a-service core implementing the P100 Partner API',
        description: DESCRIPTION + QUICKSTART + errorsGuide() + WEBHOOKS_GUIDE,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/', description: 'This Centum server' }],
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The partner\'s API key (`ck_...`)' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'The operator token (`CENTUM_ADMIN_TOKEN`)' },
          webhookToken: {
            type: 'apiKey', in: 'header', name: 'Authorization',
            description: 'Webhook deliveries carry the partner\'s webhook token, raw, in `Authorization` (P100); check it or the signatures.',
          },
        },
      },
      security: [{ apiKey: [] }],
      tags: TAGS,
    },
    transformObject: (documentObject) => finishDocument((documentObject as { openapiObject: Json }).openapiObject, modules),
  };
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keys whose value is a schema, or a map or list of schemas (JSON Schema 2020-12 applicators). */
const SCHEMA_KEYS = ['items', 'not', 'additionalProperties', 'contains', 'if', 'then', 'else', 'propertyNames', 'unevaluatedProperties'];
const SCHEMA_MAP_KEYS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const SCHEMA_LIST_KEYS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];

/** A stable text of a schema (keys sorted) to compare two schemas of one name. */
const canonical = (value: unknown): string => JSON.stringify(value, (_key, v) =>
  (isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));

/**
 * Rewrites one schema tree, innermost first: an any-case enum becomes a lowercase `enum` with a
 * note, and a schema with a PascalCase `title` moves into `components.schemas` under that name,
 * leaving a `$ref`. Two different schemas with one title are a programming error.
 */
function schemaRewriter(components: Json, origins: Map<string, string>) {
  const rewrite = (schema: unknown, where: string): unknown => {
    if (!isObject(schema) || typeof schema.$ref === 'string') return schema;
    const out: Json = { ...schema };
    for (const key of SCHEMA_KEYS) if (isObject(out[key])) out[key] = rewrite(out[key], where);
    for (const key of SCHEMA_MAP_KEYS) {
      if (isObject(out[key])) out[key] = Object.fromEntries(Object.entries(out[key]).map(([k, v]) => [k, rewrite(v, where)]));
    }
    for (const key of SCHEMA_LIST_KEYS) if (Array.isArray(out[key])) out[key] = out[key].map((v: unknown) => rewrite(v, where));
    if (Array.isArray(out[ANY_CASE_ENUM])) {
      out.enum = out[ANY_CASE_ENUM];
      delete out[ANY_CASE_ENUM];
      out.description = `${out.description ? `${out.description}. ` : ''}Lowercase; upper case (\`${String(out.enum[0]).toUpperCase()}\`) is accepted too.`;
    }
    const title = out.title;
    if (typeof title !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(title)) return out;
    const existing = components[title];
    if (existing && canonical(existing) !== canonical(out)) {
      throw new Error(`OpenAPI: two different schemas are named ${title} (in ${origins.get(title)} and ${where}); give one another title`);
    }
    components[title] = out;
    if (!origins.has(title)) origins.set(title, where);
    return { $ref: `#/components/schemas/${title}` };
  };
  return rewrite;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every schema an operation holds (parameters, body, responses), rewritten in place. */
function rewriteOperation(operation: Json, rewrite: (schema: unknown, where: string) => unknown, where: string): void {
  for (const parameter of operation.parameters ?? []) {
    if (!isObject(parameter) || !parameter.schema) continue;
    parameter.schema = rewrite(parameter.schema, where);
    // @fastify/swagger moved the field's description to the parameter; the any-case note joins it there.
    if (parameter.description && typeof parameter.schema.description === 'string') {
      parameter.description = `${parameter.description}. ${parameter.schema.description}`;
      delete parameter.schema.description;
    }
  }
  const contents = [operation.requestBody?.content, ...Object.values(operation.responses ?? {}).map((r: any) => r?.content)];
  for (const content of contents) {
    if (!isObject(content)) continue;
    for (const media of Object.values(content)) if (isObject(media) && media.schema) media.schema = rewrite(media.schema, where);
  }
}

/** A TypeBox schema as plain JSON (no symbols). */
const plain = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema));

/** The webhook payload schemas the modules declare, by event type. */
export function webhookPayloads(modules: readonly CentumModule[]): Map<EventType, TSchema> {
  const payloads = new Map<EventType, TSchema>();
  for (const module of modules) {
    for (const [type, schema] of Object.entries(module.webhooks ?? {}) as [EventType, TSchema][]) {
      if (payloads.has(type)) throw new Error(`webhook ${type} is described twice (module ${module.name})`);
      payloads.set(type, schema);
    }
  }
  return payloads;
}

/** `transfer.status` -> `transferStatusWebhook`. */
const webhookOperationId = (type: string) =>
  `${type.split(/[._]/).map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('')}Webhook`;

function webhookOperation(type: EventType, payload: Json): Json {
  const envelopeType = type.endsWith('.status') ? `${type}_changed` : type;
  return {
    post: {
      operationId: webhookOperationId(type),
      tags: ['Webhook events'],
      summary: `${type}: ${payload.title ?? type}`,
      description: `${payload.description ? `${payload.description}\n\n` : ''}Sent to the partner's webhook base URL + \`${EVENT_PATHS[type]}\`. `
        + `The body is the payload as is (\`payloadFormat: flat\`, the default) or wrapped in an envelope whose \`event_type\` is \`${envelopeType}\`.`,
      security: [{ webhookToken: [] }],
      parameters: Object.keys(WEBHOOK_HEADERS).map((h) => ({ $ref: `#/components/parameters/${headerParameterName(h)}` })),
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              anyOf: [
                payload,
                {
                  type: 'object',
                  description: `The envelope (\`payloadFormat: envelope\`)`,
                  required: ['event_type', 'event_id', 'created_at', 'data'],
                  properties: {
                    event_type: { type: 'string', const: envelopeType },
                    event_id: { type: 'string', format: 'uuid', description: 'Same as the `centum-event-id` header' },
                    created_at: { type: 'string', format: 'date-time' },
                    data: payload,
                  },
                },
              ],
            },
          },
        },
      },
      responses: {
        200: { description: 'Any 2xx acknowledges the delivery; answer quickly and work asynchronously.' },
        401: { description: 'The token or a signature is wrong: the delivery counts as failed and is retried.' },
      },
    },
  };
}

/** The contract as `docs/openapi.json` holds it (`npm run centum -- openapi --out docs/openapi.json`). */
export const openApiText = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;

/** What @fastify/swagger generated, made into the contract (see the file's comment). */
export function finishDocument(document: Json, modules: readonly CentumModule[]): Json {
  const components: Json = (document.components ??= {});
  const schemas: Json = (components.schemas ??= {});
  const origins = new Map<string, string>();
  const rewrite = schemaRewriter(schemas, origins);

  components.parameters = {
    IdempotencyKey: {
      name: 'Idempotency-Key', in: 'header', required: false,
      description: 'Makes a retry safe: the same key with the same request answers the first answer again (`idempotent-replayed: true`) '
        + 'and moves no money twice; with another request it is `409 P601`, while the first still runs `409 P602`. Kept 24 hours.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
      example: '5f1c3c1e-2a4b-4c7d-9e8f-0a1b2c3d4e5f',
    },
    ...Object.fromEntries(Object.entries(WEBHOOK_HEADERS).map(([name, { description, example }]) => [
      headerParameterName(name), { name, in: 'header', required: true, description, schema: { type: 'string' }, example },
    ])),
  };

  for (const [path, item] of Object.entries(document.paths ?? {}) as [string, Json][]) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      rewriteOperation(operation, rewrite, where);
      if (path.startsWith('/v1/')) {
        if (method === 'post') {
          operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/IdempotencyKey' }];
          operation.responses['409'] ??= {
            description: 'Error (`errorCode`):\n\n- `P601` idempotency-key-reused\n- `P602` idempotency-request-in-progress',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          };
        }
      } else if (!path.startsWith('/admin/')) {
        operation.security = []; // public: health
      }
    }
  }

  const webhooks: Json = {};
  for (const type of Object.keys(EVENT_PATHS) as EventType[]) {
    const schema = webhookPayloads(modules).get(type);
    if (!schema) continue;
    const operation = webhookOperation(type, plain(schema));
    rewriteOperation(operation.post, rewrite, `webhook ${type}`);
    webhooks[type] = operation;
  }
  document.webhooks = webhooks;
  document['x-tagGroups'] = TAG_GROUPS;
  components.schemas = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return document;
}
