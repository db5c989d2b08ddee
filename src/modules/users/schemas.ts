import { Type, type Static, type TOptional } from '@sinclair/typebox';
import { CryptoBalance, FiatBalance } from '../balances/index.js';
import { Nullable, StringEnum, Timestamp, Uuid } from '../../kernel/schemas.js';
import { UserStatus, valuesOf } from '../../kernel/statuses.js';

/**
 * User request and response schemas. The create body is the union of every documented request
 * version (user-operations.md 1.6 and 3.1); the checks the schema cannot express (countries,
 * real birth dates, the T&C flag) are in validation.ts.
 */

const Text = (max = 200, examples?: string[]) => Type.String({ minLength: 1, maxLength: max, ...(examples && { examples }) });

export const DOCUMENT_TYPES = ['PASSPORT', 'ID_CARD', 'RESIDENCE_PERMIT', 'DRIVER_LICENSE'] as const;

/** Every profile field a partner may send (all but externalUserId), each optional here. */
export const profileFields = {
  email: Type.String({ minLength: 3, maxLength: 254, examples: ['maria.wisniewska@example.com'] }),
  phone: Type.String({ minLength: 1, maxLength: 32, examples: ['48501234567'] }),
  firstName: Text(100, ['Maria']),
  lastName: Text(100, ['Wiśniewska']),
  birthDate: Type.String({ description: 'YYYY-MM-DD, a real date in the past', examples: ['1988-11-03'] }),
  birthCountry: Type.String({ description: 'ISO 3166-1 alpha-2', examples: ['PL'] }),
  pesel: Text(32),
  address: Text(),
  street: Text(200, ['Marszałkowska']),
  number: Text(32, ['12/4']),
  city: Text(100, ['Warszawa']),
  postCode: Text(32, ['00-001']),
  country: Type.String({ description: 'ISO 3166-1 alpha-2 (country of residence)', examples: ['PL'] }),
  citizenship: Type.String({ description: 'ISO 3166-1 alpha-2', examples: ['PL'] }),
  nationality: Type.String({ description: 'ISO 3166-1 alpha-2', examples: ['PL'] }),
  userIdentificationNumber: Text(64),
  documentType: Type.String({ description: `One of ${DOCUMENT_TYPES.join(', ')} (any case)`, examples: ['ID_CARD'] }),
  documentNumber: Text(64),
  hasAcceptedP100Tc: Type.Boolean({ description: 'Must not be false (latest docs: true for every new user)' }),
};

type ProfileFields = typeof profileFields;
const optional = <K extends keyof ProfileFields>(keys: K[]) =>
  Object.fromEntries(keys.map((k) => [k, Type.Optional(profileFields[k])])) as unknown as { [P in K]: TOptional<ProfileFields[P]> };

const allKeys = Object.keys(profileFields) as (keyof ProfileFields)[];

export const ExternalUserId = Type.String({
  minLength: 1, maxLength: 128, pattern: '^\\S(.*\\S)?$',
  description: "The partner's own id for the user (unique per partner, never reused)",
  examples: ['user-42'],
});

export const CreateUserBody = Type.Object({
  externalUserId: ExternalUserId,
  email: profileFields.email,
  firstName: profileFields.firstName,
  lastName: profileFields.lastName,
  ...optional(allKeys.filter((k): k is Exclude<keyof ProfileFields, 'email' | 'firstName' | 'lastName'> => !['email', 'firstName', 'lastName'].includes(k))),
}, { additionalProperties: false, title: 'CreateUserRequest', description: 'A new user. A country is required too: country, citizenship or nationality' });
export type CreateUserInput = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(optional(allKeys), {
  additionalProperties: false, minProperties: 1, title: 'UpdateUserRequest', description: 'The profile fields to change (at least one)',
});
export type ProfileInput = Static<typeof UpdateUserBody>;

export const UserParams = Type.Object({ externalUserId: ExternalUserId });

export const CreateKycUserResponse = Type.Object({
  userId: Uuid,
  poaRequiredForExtended: Type.Boolean(),
  poaRequired: Type.Boolean({ description: 'Legacy (v1) name of the same flag' }),
  fiatBalances: Type.Array(FiatBalance),
  cryptoBalances: Type.Array(CryptoBalance),
}, { title: 'KycUserCreated', description: 'The new user (waiting for its KYC decision) and its balances' });

/** Non-KYC create answer (user-operations.md 3.2): one flat list; EUR has no networkConfig. */
export const FlatBalance = Type.Object({
  id: Uuid,
  amount: Type.String({ examples: ['0.00'] }),
  name: Type.Union([FiatBalance.properties.name, CryptoBalance.properties.name]),
  wallet: Nullable(Type.String({ description: 'Deposit address (null for EUR)' })),
  rate: Type.Number(),
  networkConfig: Type.Optional(CryptoBalance.properties.networkConfig),
}, { title: 'FlatBalance', description: 'A balance in the non-KYC answer (EUR has no wallet and no networkConfig)' });
export const CreateNonKycUserResponse = Type.Object({ userId: Uuid, balances: Type.Array(FlatBalance) }, {
  title: 'NonKycUserCreated', description: 'The new, active user and its balances in one list',
});

/** `user.status`: a user was created or its status changed (KYC decision, suspension, deletion). */
export const UserStatusWebhook = Type.Object({
  externalUserId: Type.String({ examples: ['user-42'] }),
  status: StringEnum(valuesOf(UserStatus)),
}, { title: 'UserStatusWebhook', description: 'A user was created, or its status changed (KYC decision, suspension, deletion).' });

export const UserView = Type.Object({
  userId: Uuid,
  externalUserId: Type.String({ examples: ['user-42'] }),
  model: StringEnum(['KYC', 'NON_KYC'], { description: 'KYC: EUR with an IBAN after the KYC decision; NON_KYC: no SEPA' }),
  status: StringEnum(valuesOf(UserStatus)),
  ...optional(allKeys),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  deletedAt: Nullable(Timestamp),
}, { title: 'User', description: 'A user: its ids, model, status and profile' });
