import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { parseAmount } from '../../kernel/money.js';
import { errorResponses } from '../../kernel/schemas.js';
import { authorize, capture, confirmThreeDs, increment, refund, reverse, sendActivationCode } from './authorizations.js';
import { cardKeys } from './card-data.js';
import { requireCardUser } from './eligibility.js';
import { AuthorizationBody, AuthorizationParams, CardAuthorization, CardRef, OptionalAmount, RequiredAmount, ThreeDsBody } from './schemas.js';
import { requireCard } from './store.js';

const tags = ['Sandbox'];

/**
 * The simulated card network, driven by the partner (as Stripe Issuing's and Marqeta's test
 * helpers): authorizations with their 3DS step, captures, increments, reversals, refunds; the
 * expiry runs on the sandbox clock. Also sends a card's activation code.
 */
export const sandboxCardRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app.ctx;
  const keys = cardKeys(config.secretKey);
  const settings = config.cards;
  const amountOf = (value: unknown) => (value === undefined ? undefined : parseAmount(value, 2));

  app.post('/v1/sandbox/card/authorizations', {
    schema: {
      operationId: 'simulateCardAuthorization', tags, summary: 'Simulate a card authorization',
      description: 'The card network asks to authorize a payment: approved (PENDING, the amount held on the user\'s EUR balance) or '
        + 'DECLINED with a named reason (card state, user state, PIN, limits, funds). ATM needs the PIN. With threeDS the answer is '
        + 'AWAITING_3DS and the code goes to the partner (card 3DS webhook); then call the 3ds endpoint.',
      body: AuthorizationBody,
      response: { 201: CardAuthorization, ...errorResponses('P434') },
    },
  }, async (request, reply) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const { amount, currency, ...rest } = request.body;
    const view = await db.tx((q) => authorize(q, {
      keys, settings, partnerId: request.partner.id, now,
      input: { ...rest, amount: parseAmount(amount, 2), currency },
    }));
    return reply.code(201).send(view);
  });

  app.post('/v1/sandbox/card/authorizations/:authorizationId/3ds', {
    schema: {
      operationId: 'simulateCardThreeDs', tags, summary: 'Answer a card authorization\'s 3DS challenge',
      description: 'The right code continues the authorization (checks run again, then the hold); a wrong one declines it (THREE_DS_FAILED).',
      params: AuthorizationParams, body: ThreeDsBody,
      response: { 200: CardAuthorization, ...errorResponses('P665', 'P669') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const { authorizationId } = request.params;
    return db.tx((q) => confirmThreeDs(q, { keys, settings, partnerId: request.partner.id, authorizationId, code: request.body.code, now }));
  });

  const step = (
    name: 'capture' | 'increment' | 'reversal' | 'refund',
    operationId: string, summary: string, description: string,
    run: typeof capture,
    required = false,
  ) => app.post(`/v1/sandbox/card/authorizations/:authorizationId/${name}`, {
    schema: {
      operationId, tags, summary, description, params: AuthorizationParams, body: required ? RequiredAmount : OptionalAmount,
      response: { 200: CardAuthorization, ...errorResponses('P665', 'P666', 'P667') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const amount = amountOf((request.body as { amount?: unknown }).amount);
    const { authorizationId } = request.params as { authorizationId: string };
    return db.tx((q) => run(q, { partnerId: request.partner.id, authorizationId, amount, now }));
  });

  step('capture', 'simulateCardCapture', 'Capture a card authorization',
    'Full (no amount) or partial: the rest of the hold is released. Never more than held (P667); once (P666).', capture);
  step('increment', 'simulateCardIncrement', 'Increment a card authorization',
    'Holds more on a PENDING authorization; card, user and limits are checked again. Declined increments leave it as it was.',
    (q, a) => increment(q, { ...a, amount: a.amount! }), true);
  step('reversal', 'simulateCardReversal', 'Reverse a card authorization',
    'Full (no amount: REVERSED, hold released) or partial (the rest stays held).', reverse);
  step('refund', 'simulateCardRefund', 'Refund a captured card transaction',
    'Credits the user (all that is left, or the amount given); never more than captured less refunded (P667).', refund);

  app.post('/v1/sandbox/card/activation-code', {
    schema: {
      operationId: 'simulateCardActivationCode', tags, summary: 'Send a card activation code',
      description: 'Sends a one-time activation code for the card to the partner (card activation code webhook).',
      body: CardRef,
      response: { 200: Type.Object({ cardId: Type.String(), sent: Type.Boolean() }, { title: 'CardActivationCodeSent', description: 'Sent' }), ...errorResponses('P412', 'P434') },
    },
  }, async (request) => db.tx(async (q) => {
    const user = await requireCardUser(q, settings, request.partner.id, request.body.externalUserId);
    const card = await requireCard(q, user, request.body.cardId);
    return sendActivationCode(q, card, user.external_user_id);
  }));
};
