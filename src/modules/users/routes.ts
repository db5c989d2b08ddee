import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { answer, errorResponses } from '../../kernel/schemas.js';
import { balancesView } from '../balances/index.js';
import {
  CreateKycUserResponse, CreateNonKycUserResponse, CreateUserBody, UpdateUserBody, UserParams, UserView,
} from './schemas.js';
import { createUser, deleteUser, requireUser, suspendUser, unsuspendUser, updateUser, type UserRow } from './service.js';
import { poaRequired } from './validation.js';

const tags = ['Users'];

/** The user as management endpoints answer it: ids, model, status and the stored profile. */
export function userView(user: UserRow) {
  return {
    ...user.profile,
    userId: user.id,
    externalUserId: user.external_user_id,
    model: user.model,
    status: user.status,
    createdAt: user.created_at.toISOString(),
    updatedAt: user.updated_at.toISOString(),
    deletedAt: user.deleted_at ? user.deleted_at.toISOString() : null,
  };
}

/** Create (KYC and non-KYC models), update, delete, suspend and unsuspend users. */
export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app.ctx;

  app.post('/v1/user/balances/crypto-and-fiat', {
    schema: {
      operationId: 'createKycUser', tags, summary: 'Create User Account (KYC model)',
      description: 'Creates the user with crypto balances (active) and a EUR balance that waits, without an IBAN, '
        + 'for the KYC decision. Requires externalUserId, email, firstName, lastName and a country '
        + '(country, or citizenship or nationality). A reused externalUserId, also a deleted user\'s, is P411.',
      body: CreateUserBody,
      response: { 200: CreateKycUserResponse, ...errorResponses('P411') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    return db.tx(async (q) => {
      const user = await createUser(q, config.secretKey, request.partner.id, 'KYC', request.body, now);
      const balances = await balancesView(q, { partnerId: user.partner_id, userId: user.id }, { at: now, rates: app.ctx.fx.rates });
      const poa = poaRequired(user.profile);
      return { userId: user.id, poaRequiredForExtended: poa, poaRequired: poa, ...balances };
    });
  });

  app.post('/v1/user/balances/crypto', {
    schema: {
      operationId: 'createNonKycUser', tags, summary: 'Create User Account and Generate Balances Without KYC',
      description: 'Creates an active user with crypto balances and an active EUR balance without an IBAN '
        + '(no SEPA for non-KYC users; exchange and internal transfers work). Answers one flat list of balances.',
      body: CreateUserBody,
      response: { 200: CreateNonKycUserResponse, ...errorResponses('P411') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    return db.tx(async (q) => {
      const user = await createUser(q, config.secretKey, request.partner.id, 'NON_KYC', request.body, now);
      const { fiatBalances, cryptoBalances } = await balancesView(q, { partnerId: user.partner_id, userId: user.id }, { at: now, rates: app.ctx.fx.rates });
      return {
        userId: user.id,
        balances: [
          ...cryptoBalances.map(({ id, amount, name, wallet, rate, networkConfig }) => ({ id, amount, name, wallet, rate, networkConfig })),
          ...fiatBalances.map(({ id, amount, name, rate }) => ({ id, amount, name, wallet: null, rate })),
        ],
      };
    });
  });

  app.patch('/v1/user/:externalUserId', {
    schema: {
      operationId: 'updateUser', tags, summary: 'Update Existing User',
      description: 'Changes the given profile fields (same checks as at creation); other fields stay.',
      params: UserParams, body: UpdateUserBody,
      response: { 200: answer(UserView, 'The updated user'), ...errorResponses('P412', 'P610') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    return db.tx(async (q) => {
      const user = await requireUser(q, request.partner.id, request.params.externalUserId, { lock: true });
      return userView(await updateUser(q, user, request.body, now));
    });
  });

  app.delete('/v1/user/:externalUserId', {
    schema: {
      operationId: 'deleteUser', tags, summary: 'Delete User',
      description: "Sweeps the user's balances to the partner's balances (history type user_deletion), closes them "
        + 'and makes the externalUserId unusable (P610 afterwards, P411 on create). P616 while an operation holds funds.',
      params: UserParams,
      response: { 200: answer(UserView, 'The deleted user (status DELETED)'), ...errorResponses('P412', 'P610', 'P616') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    return db.tx(async (q) => {
      const user = await requireUser(q, request.partner.id, request.params.externalUserId, { lock: true });
      return userView(await deleteUser(q, user, now));
    });
  });

  for (const [action, summary, change, description, errors] of [
    ['suspend', 'Suspend User', suspendUser,
      'Money movement by or to the user answers P455 until it is unsuspended; its cards that are not deleted become SUSPENDED '
        + '(they decline) and get their status back with unsuspend. Suspending a suspended user changes nothing.',
      errorResponses('P412', 'P610')],
    ['unsuspend', 'Unsuspend User', unsuspendUser,
      'The user goes back to the status it had before the suspension. Unsuspending a user that is not suspended changes nothing.',
      errorResponses('P412', 'P610')],
  ] as const) {
    app.patch(`/v1/user/${action}/:externalUserId`, {
      schema: {
        operationId: `${action}User`, tags, summary, description, params: UserParams,
        response: { 200: answer(UserView, `The ${action}ed user`), ...errors },
      },
    }, async (request) => {
      const now = partnerNow(request.partner.clockOffsetMs);
      return db.tx(async (q) => {
        const user = await requireUser(q, request.partner.id, request.params.externalUserId, { lock: true });
        return userView(await change(q, user, now));
      });
    });
  }
};
