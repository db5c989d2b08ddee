import { Type } from '@fastify/type-provider-typebox';
import { Amount, Nullable, StringEnum, Timestamp, Uuid } from '../../kernel/schemas.js';
import { CURRENCY_CODES } from '../../kernel/currencies.js';
import { CardAuthorizationStatus, CardChannel, CardStatus, valuesOf } from '../../kernel/statuses.js';
import { DECLINE_REASONS } from './authorizations.js';

/** Request and answer schemas of the card endpoints, and the card webhooks' payloads. */

const ExternalUserIdField = Type.String({ minLength: 1, maxLength: 255, examples: ['bca65c48-df49-4831-a7b2-de79033219'] });
const CardIdField = Type.String({ minLength: 1, maxLength: 64, examples: ['4b3a2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d'] });
const Pin = Type.String({ pattern: '^[0-9]{4}$', description: 'Exactly 4 digits', examples: ['1234'] });

export const CardStatusEnum = StringEnum(valuesOf(CardStatus), { examples: ['ACTIVE'] });

export const CreateCardBody = Type.Object({
  externalUserId: ExternalUserIdField,
  label: Type.String({ minLength: 3, maxLength: 30, description: 'User-visible name of the card, 3 to 30 characters', examples: ['Online shopping'] }),
  pin: Pin,
}, { additionalProperties: false, title: 'CreateVirtualCardRequest' });

export const CardData = Type.Object({
  cardId: Uuid,
  cardNumber: Type.String({ examples: ['5354561234567890'] }),
  cvv: Type.String({ examples: ['123'] }),
  exp: Type.String({ description: 'MM/YY', examples: ['08/28'] }),
}, { title: 'VirtualCard', description: 'A new card with its data (shown once here, and by Get Card Details)' });

export const CardSummary = Type.Object({
  cardId: Uuid,
  status: CardStatusEnum,
  label: Type.String({ examples: ['Online shopping'] }),
  cardLastDigits: Type.String({ examples: ['7890'] }),
}, { title: 'CardSummary' });

export const CardList = Type.Object({ cards: Type.Array(CardSummary) }, { title: 'CardList', description: 'The user\'s cards, without card data' });

export const CardDetails = Type.Object({
  status: CardStatusEnum,
  cardNumber: Type.String({ examples: ['5354561234567890'] }),
  cvv: Type.String({ examples: ['123'] }),
  exp: Type.String({ examples: ['08/28'] }),
}, { title: 'CardDetails', description: 'The card\'s data; every call is recorded as a reveal' });

export const UserOnlyParams = Type.Object({ externalUserId: ExternalUserIdField });
export const CardParams = Type.Object({ externalUserId: ExternalUserIdField, cardId: CardIdField });

export const CardRef = Type.Object({ externalUserId: ExternalUserIdField, cardId: CardIdField }, { additionalProperties: false, title: 'CardReference' });

export const PinBody = Type.Object({ externalUserId: ExternalUserIdField, cardId: CardIdField, pin: Pin }, { additionalProperties: false, title: 'UpdateCardPinRequest' });

export const Message = Type.Object({ message: Type.String({ examples: ['Card blocked'] }) }, { title: 'CardMessage', description: 'Done' });

const LimitValue = Type.Number({ minimum: 0, examples: [1000] });
const limitFields = {
  monthlyTrxAll: LimitValue, dailyTrxAll: LimitValue, monthlyTrxAtm: LimitValue,
  dailyTrxAtm: LimitValue, monthlyTrxEcom: LimitValue, dailyTrxEcom: LimitValue,
};

export const CardLimits = Type.Object(limitFields, { title: 'CardLimits', description: 'Limits in EUR: spent = captured + pending, per UTC day and month of the partner\'s clock' });

export const UpdateLimitsBody = Type.Object({
  externalUserId: ExternalUserIdField,
  cardId: CardIdField,
  monthlyTrxAll: Type.Optional(LimitValue), dailyTrxAll: Type.Optional(LimitValue), monthlyTrxAtm: Type.Optional(LimitValue),
  dailyTrxAtm: Type.Optional(LimitValue), monthlyTrxEcom: Type.Optional(LimitValue), dailyTrxEcom: Type.Optional(LimitValue),
}, { additionalProperties: false, title: 'UpdateCardLimitsRequest' });

export const LimitsUpdated = Type.Object({ message: Type.String({ examples: ['Card limits updated'] }), ...limitFields }, { title: 'CardLimitsUpdated', description: 'The limits now' });

export const CardReveal = Type.Object({
  revealId: Uuid,
  reason: StringEnum(['CREATE', 'DETAILS'] as const, { description: 'CREATE: the creation answer; DETAILS: Get Card Details' }),
  revealedAt: Timestamp,
  requestId: Nullable(Type.String()),
  clientIp: Nullable(Type.String()),
}, { title: 'CardReveal' });

export const CardReveals = Type.Object({ reveals: Type.Array(CardReveal) }, { title: 'CardReveals', description: 'Every reveal of the card\'s data, newest first (at most 100)' });

// ---------------------------------------------------------------------------------------------
// Sandbox: the simulated card network.

export const AuthorizationBody = Type.Object({
  cardId: Type.String({ minLength: 1, maxLength: 64 }),
  amount: Amount,
  currency: StringEnum(CURRENCY_CODES, { description: 'Only eur is approved; another currency declines (CURRENCY_NOT_SUPPORTED)', examples: ['eur'] }),
  channel: StringEnum(valuesOf(CardChannel), { examples: ['POS'] }),
  merchantName: Type.String({ minLength: 1, maxLength: 100, examples: ['Coffee Corner'] }),
  mcc: Type.String({ pattern: '^[0-9]{4}$', examples: ['5814'] }),
  pin: Type.Optional(Pin),
  threeDS: Type.Optional(Type.Boolean({ description: 'E-commerce with 3-D Secure: a one-time code goes to the partner first' })),
}, { additionalProperties: false, title: 'SandboxCardAuthorizationRequest' });

const DeclineReason = StringEnum(DECLINE_REASONS);

const authorizationFields = {
  authorizationId: Uuid,
  cardId: Uuid,
  cardLastDigits: Type.String({ examples: ['7890'] }),
  status: StringEnum(valuesOf(CardAuthorizationStatus), { examples: ['PENDING'] }),
  declineReason: Nullable(DeclineReason),
  amount: Type.String({ description: 'Amount authorized (with increments)', examples: ['12.50'] }),
  heldAmount: Type.String({ examples: ['12.50'] }),
  capturedAmount: Type.String({ examples: ['0.00'] }),
  refundedAmount: Type.String({ examples: ['0.00'] }),
  currency: StringEnum(CURRENCY_CODES, { examples: ['eur'] }),
  channel: StringEnum(valuesOf(CardChannel)),
  merchantName: Type.String({ examples: ['Coffee Corner'] }),
  mcc: Type.String({ examples: ['5814'] }),
  createdAt: Timestamp,
};

export const CardAuthorization = Type.Object(authorizationFields, { title: 'CardAuthorization', description: 'The authorization as it is now' });

export const AuthorizationParams = Type.Object({ authorizationId: Type.String({ minLength: 1, maxLength: 64 }) });
export const OptionalAmount = Type.Object({ amount: Type.Optional(Amount) }, { additionalProperties: false });
export const RequiredAmount = Type.Object({ amount: Amount }, { additionalProperties: false });
export const ThreeDsBody = Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false });

// ---------------------------------------------------------------------------------------------
// Webhook payloads (docs/webhooks.md).

/** `/webhook/card/transaction`: every authorization, decline, capture, increment, reversal, expiry, refund. */
export const CardTransactionWebhook = Type.Object({
  ...authorizationFields,
  type: StringEnum(['AUTHORIZATION', 'DECLINE', 'CAPTURE', 'INCREMENT', 'INCREMENT_DECLINED', 'REVERSAL', 'EXPIRY', 'REFUND'] as const),
  externalUserId: Type.String(),
  transactionAmount: Type.String({ description: 'Amount of this event', examples: ['12.50'] }),
  occurredAt: Timestamp,
}, { title: 'CardTransactionWebhook', description: 'A card transaction event; card data never appears, only the last four digits' });

/** `/webhook/card/3ds-code`: the one-time code the partner relays to its user. */
export const Card3dsCodeWebhook = Type.Object({
  event_type: Type.Literal('card.3ds'),
  external_user_id: Type.String(),
  card_id: Uuid,
  authorization_id: Uuid,
  code: Type.String({ examples: ['482913'] }),
  merchant_name: Type.String(),
  amount: Type.String(),
  currency: StringEnum(CURRENCY_CODES, { examples: ['eur'] }),
}, { title: 'Card3dsCodeWebhook', description: 'A 3-D Secure one-time code for the partner to relay to its user' });

/** `/webhook/card/activation-code`: an activation code (sent from the sandbox). */
export const CardActivationCodeWebhook = Type.Object({
  event_type: Type.Literal('card.activation'),
  external_user_id: Type.String(),
  card_id: Uuid,
  code: Type.String({ examples: ['120934'] }),
}, { title: 'CardActivationCodeWebhook', description: 'A card activation code' });
