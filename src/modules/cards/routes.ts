import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { partnerNow } from '../../kernel/clock.js';
import { errorResponses } from '../../kernel/schemas.js';
import { cardKeys } from './card-data.js';
import { requireCardUser } from './eligibility.js';
import {
  CardData, CardDetails, CardList, CardLimits, CardParams, CardRef, CardReveals, CreateCardBody, LimitsUpdated, Message, PinBody, UserOnlyParams,
  UpdateLimitsBody,
} from './schemas.js';
import { blockCard, changePin, createCard, deleteCard, limitsView, revealCard, unblockCard, updateLimits } from './service.js';
import { listCards, listReveals, requireCard } from './store.js';

const tags = ['Cards'];
/** Every card call checks the user first: these codes come before the card's own. */
const USER_CODES = ['P412', 'P610', 'P614', 'P459', 'P461'] as const;

const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
const revealOf = (request: FastifyRequest) => ({ requestId: String(request.id), clientIp: request.ip });

/** The nine card endpoints of the contract, and the reveal log. */
export const cardRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app.ctx;
  const keys = cardKeys(config.secretKey);
  const settings = config.cards;

  app.post('/v1/card/virtual', {
    // The answer carries the card number and CVV: an Idempotency-Key keeps it sealed, never in clear.
    config: { sealAnswer: true },
    schema: {
      operationId: 'createVirtualCard', tags, summary: 'Create Virtual Card',
      description: 'Issues a virtual card to a verified, extended user of an eligible country (EU by default). At most 10 cards '
        + 'that are not deleted, and 5 creations per 24 h, 10 per 30 days, 20 per 12 months. The answer shows the card data once '
        + '(Cache-Control: no-store) and is recorded as a reveal. The monthly card fee is charged to the partner\'s EUR balance.',
      body: CreateCardBody,
      response: { 200: CardData, ...errorResponses(...USER_CODES, 'P455', 'P451', 'P660', 'P661', 'P662', 'P663') },
    },
  }, async (request, reply) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    noStore(reply);
    return db.tx(async (q) => {
      const user = await requireCardUser(q, settings, request.partner.id, request.body.externalUserId, { lock: true, mutate: true });
      return createCard(q, { keys, settings, user, label: request.body.label.trim(), pin: request.body.pin, now, reveal: revealOf(request) });
    });
  });

  app.get('/v1/card/all/:externalUserId', {
    schema: {
      operationId: 'listUserCards', tags, summary: 'Get All User Cards',
      description: 'The user\'s cards (deleted ones too) with status, label and last four digits; no card data.',
      params: UserOnlyParams,
      response: { 200: CardList, ...errorResponses(...USER_CODES) },
    },
  }, async (request) => {
    const user = await requireCardUser(db, settings, request.partner.id, request.params.externalUserId);
    const cards = await listCards(db, user.id);
    return { cards: cards.map((c) => ({ cardId: c.id, status: c.status, label: c.label, cardLastDigits: c.last_digits })) };
  });

  app.get('/v1/card/details/:externalUserId/:cardId', {
    schema: {
      operationId: 'getCardDetails', tags, summary: 'Get Card Details',
      description: 'The card\'s number, CVV and expiry, with its status. Answers Cache-Control: no-store; every call is recorded '
        + '(Get Card Reveals lists them). A deleted card shows nothing (P664).',
      params: CardParams,
      response: { 200: CardDetails, ...errorResponses(...USER_CODES, 'P434', 'P664') },
    },
  }, async (request, reply) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    noStore(reply);
    return db.tx(async (q) => {
      const user = await requireCardUser(q, settings, request.partner.id, request.params.externalUserId);
      const card = await requireCard(q, user, request.params.cardId);
      return revealCard(q, keys, card, now, revealOf(request));
    });
  });

  app.get('/v1/card/reveals/:externalUserId/:cardId', {
    schema: {
      operationId: 'listCardReveals', tags, summary: 'Get Card Reveals',
      description: 'Centum addition: who saw the card data and when (the creation answer and every Get Card Details), newest first.',
      params: CardParams,
      response: { 200: CardReveals, ...errorResponses(...USER_CODES, 'P434') },
    },
  }, async (request) => {
    const user = await requireCardUser(db, settings, request.partner.id, request.params.externalUserId);
    const card = await requireCard(db, user, request.params.cardId);
    const reveals = await listReveals(db, card.id);
    return {
      reveals: reveals.map((r) => ({
        revealId: r.id, reason: r.reason as 'CREATE' | 'DETAILS', revealedAt: r.revealed_at.toISOString(), requestId: r.request_id, clientIp: r.client_ip,
      })),
    };
  });

  /** A card mutation: user locked (not suspended), then the card locked, then `change`. */
  const mutation = <B extends { externalUserId: string; cardId: string }>(
    request: FastifyRequest & { body: B; partner: { id: string; clockOffsetMs: bigint } },
    change: (q: Parameters<Parameters<typeof db.tx>[0]>[0], card: Awaited<ReturnType<typeof requireCard>>, now: Date) => Promise<unknown>,
    opts: { allowSuspended?: boolean } = {},
  ) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    return db.tx(async (q) => {
      const user = await requireCardUser(q, settings, request.partner.id, request.body.externalUserId, { lock: true, mutate: !opts.allowSuspended });
      const card = await requireCard(q, user, request.body.cardId, { lock: true });
      return change(q, card, now);
    });
  };

  app.patch('/v1/card/pin', {
    schema: {
      operationId: 'updateCardPin', tags, summary: 'Update Card PIN', description: 'Sets the card\'s PIN (exactly 4 digits); it is stored only as a keyed hash.',
      body: PinBody, response: { 200: Message, ...errorResponses(...USER_CODES, 'P455', 'P434', 'P664') },
    },
  }, async (request) => {
    await mutation(request, (q, card) => changePin(q, keys, card, request.body.pin));
    return { message: 'Card PIN updated' };
  });

  app.patch('/v1/card/block', {
    schema: {
      operationId: 'blockCard', tags, summary: 'Block Card', description: 'ACTIVE -> LOCKED_BY_USER: every transaction declines until unblocked.',
      body: CardRef, response: { 200: Message, ...errorResponses(...USER_CODES, 'P455', 'P434', 'P664') },
    },
  }, async (request) => {
    await mutation(request, (q, card, now) => blockCard(q, card, now));
    return { message: 'Card blocked' };
  });

  app.patch('/v1/card/unblock', {
    schema: {
      operationId: 'unblockCard', tags, summary: 'Unblock Card', description: 'LOCKED_BY_USER -> ACTIVE. A card BLOCKED by the platform stays blocked (P664).',
      body: CardRef, response: { 200: Message, ...errorResponses(...USER_CODES, 'P455', 'P434', 'P664') },
    },
  }, async (request) => {
    await mutation(request, (q, card, now) => unblockCard(q, card, now));
    return { message: 'Card unblocked' };
  });

  app.get('/v1/card/limits/:externalUserId/:cardId', {
    schema: {
      operationId: 'getCardLimits', tags, summary: 'Get Card Limits', description: 'Daily and monthly limits in EUR: all transactions, ATM, e-commerce.',
      params: CardParams, response: { 200: CardLimits, ...errorResponses(...USER_CODES, 'P434') },
    },
  }, async (request) => {
    const user = await requireCardUser(db, settings, request.partner.id, request.params.externalUserId);
    return limitsView(await requireCard(db, user, request.params.cardId));
  });

  app.patch('/v1/card/limits', {
    schema: {
      operationId: 'updateCardLimits', tags, summary: 'Update Card Limits',
      description: 'Changes the limits given (the others stay). Each daily limit at most its monthly one, ATM and e-commerce at most '
        + 'the limit for all, each at most the configured maximum (P668); negative or non-numeric values are P403.',
      body: UpdateLimitsBody, response: { 200: LimitsUpdated, ...errorResponses(...USER_CODES, 'P455', 'P434', 'P664', 'P668') },
    },
  }, async (request) => {
    const { externalUserId: _u, cardId: _c, ...changes } = request.body;
    const card = await mutation(request, async (q, locked) => {
      await updateLimits(q, settings, locked, changes);
      return requireCard(q, { id: locked.user_id, partner_id: locked.partner_id }, locked.id);
    });
    return { message: 'Card limits updated', ...limitsView(card as Awaited<ReturnType<typeof requireCard>>) };
  });

  app.delete('/v1/card', {
    schema: {
      operationId: 'deleteCard', tags, summary: 'Delete Card',
      description: 'Deletes the card for good (JSON body). Authorizations approved before may still be captured. Allowed for a suspended user.',
      body: CardRef, response: { 200: Message, ...errorResponses(...USER_CODES, 'P434') },
    },
  }, async (request) => {
    await mutation(request, (q, card, now) => deleteCard(q, card, now), { allowSuspended: true });
    return { message: 'Card deleted' };
  });
};
