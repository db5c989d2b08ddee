import { Type, type Static } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../../kernel/schemas.js';
import { KycAttemptStatus, KycVerificationStatus, PoaStatus, UserStatus, valuesOf } from '../../kernel/statuses.js';
import { ExternalUserId } from '../users/index.js';
import { DOCUMENT_TYPES } from './service.js';

/** Bodies, answers and webhook payloads of the KYC endpoints (spec user-operations 3.3-3.8, 6.4.1-6.4.4). */

export const DocumentTypeEnum = StringEnum(DOCUMENT_TYPES, { examples: ['PASSPORT'] });

export const INCOME_SOURCES = ['BUSINESS_ACTIVITY', 'SALARY', 'OTHER', 'MAINTAINED_BY_FAMILY', 'INVESTMENTS', 'SOCIAL_BENEFITS', 'TENANCY'] as const;
/** As the spec lists them, including its misspelt INVESTMENTS_OR_CRYPTOCURRENCIE. */
export const OPEN_ACCOUNT_REASONS = [
  'INVESTMENTS_OR_CRYPTOCURRENCIE', 'CURRENCY_EXCHANGE', 'DAILY_USE', 'GAMING_OR_GAMBLING', 'TRANSFER_OF_FUNDS_OUTSIDE_OF_EUROPE',
] as const;
export const OCCUPATIONS = [
  'IT', 'HEALTHCARE_AND_MEDICAL_SERVICES', 'FINANCE_AND_ACCOUNTING', 'EDUCATION_AND_TEACHING', 'SALES_AND_MARKETING', 'ENGINEERING',
  'CUSTOMER_SERVICE', 'ADMINISTRATION_AND_OFFICE_MANAGEMENT', 'LEGAL_SERVICES', 'ARTS_AND_DESIGN', 'RETAIL_AND_SALES',
  'CONSTRUCTION_AND_TRADES', 'HUMAN_RESOURCES', 'MANUFACTURING_AND_PRODUCTION', 'SCIENCE_AND_RESEARCH',
] as const;

const Text = (options: { maxLength?: number; examples?: unknown[]; description?: string } = {}) =>
  Type.String({ minLength: 1, maxLength: 500, ...options });

export const CreateKycVerificationBody = Type.Object({
  externalUserId: ExternalUserId,
  documentType: DocumentTypeEnum,
  country: Type.String({ pattern: '^[A-Za-z]{2}$', description: 'Country of residence, ISO 3166-1 alpha-2', examples: ['PL'] }),
  incomeSource: StringEnum(INCOME_SOURCES, { examples: ['SALARY'] }),
  openAccountReason: StringEnum(OPEN_ACCOUNT_REASONS, { examples: ['DAILY_USE'] }),
  taxId: Type.Optional(Text({ maxLength: 100, description: 'Required when incomeSource is BUSINESS_ACTIVITY', examples: ['PL5252248481'] })),
  occupation: Type.Optional(StringEnum(OCCUPATIONS, { description: 'Required when incomeSource is SALARY', examples: ['ENGINEERING'] })),
  additionalInfo: Type.Optional(Text({
    maxLength: 1000, description: 'Required when incomeSource is SALARY, OTHER, MAINTAINED_BY_FAMILY, INVESTMENTS, SOCIAL_BENEFITS or TENANCY',
    examples: ['Salaried civil engineer'],
  })),
  redirectUrl: Type.Optional(Type.String({
    maxLength: 2000, description: "Centum addition: where the hosted page's result screen sends the user back (https; http in the sandbox)",
    examples: ['https://partner.example/kyc/done'],
  })),
}, { additionalProperties: false, title: 'CreateKycVerificationRequest', description: 'Opens a hosted KYC verification (Method B)' });
export type CreateKycVerificationBody = Static<typeof CreateKycVerificationBody>;

export const KycVerificationCreated = Type.Object({
  verificationId: Type.String({ format: 'uuid', examples: ['0b8f7a52-6d0e-4c55-9a3e-2f1d7c9b4e61'] }),
  externalUserId: Type.String(),
  verificationStatus: StringEnum(valuesOf(KycVerificationStatus)),
  attemptStatus: StringEnum(valuesOf(KycAttemptStatus)),
}, { title: 'KycVerificationCreated', description: 'The new verification: pass verificationId to Redirect to Verification' });

export const VerificationParams = Type.Object({
  externalUserId: ExternalUserId,
  verificationId: Type.String({ maxLength: 100 }),
});

export const VerificationLink = Type.Object({
  verificationId: Type.String({ format: 'uuid' }),
  url: Type.String({ description: 'The hosted page for the end user; a bearer link: give it to that user only', examples: ['https://centum.example/kyc/verify/3q2-…'] }),
  expiresAt: Type.String({ format: 'date-time', description: 'The link stops working then (partner clock)' }),
}, { title: 'KycVerificationLink', description: 'A fresh link to the hosted verification page (the previous link stops working)' });

export const KycStatus = Type.Object({
  externalUserId: Type.String(),
  verificationId: Type.String({ format: 'uuid' }),
  verificationStatus: StringEnum(valuesOf(KycVerificationStatus), { examples: ['NOT_VERIFIED'] }),
  attemptStatus: StringEnum(valuesOf(KycAttemptStatus), { examples: ['REJECTED_BY_PROVIDER'] }),
  rejectionReason: Nullable(Type.String({ examples: ['NO_FACE_FOUND'] })),
}, { title: 'KycStatus', description: "The user's latest KYC verification" });

/** /webhook/kyc/status (spec 6.4.4; field list inferred from 1.8). */
export const KycVerificationWebhook = Type.Object({
  externalUserId: Type.String(),
  verificationId: Type.String({ format: 'uuid' }),
  verificationStatus: StringEnum(valuesOf(KycVerificationStatus)),
  attemptStatus: StringEnum(valuesOf(KycAttemptStatus)),
  rejectionReason: Nullable(Type.String()),
}, { title: 'KycVerificationWebhook', description: 'POST /webhook/kyc/status on every change of a KYC attempt' });

/** /webhook/kyc-files/status (spec 6.4.2). */
export const KycFilesWebhook = Type.Object({
  externalUserId: Type.String(),
  status: StringEnum(['ADDED', 'ERROR'] as const),
}, { title: 'KycFilesWebhook', description: 'POST /webhook/kyc-files/status after a Method A upload: ADDED (accepted) or ERROR (could not be processed)' });

/** /webhook/poa-verification/status (spec 6.4.3). */
export const PoaVerificationWebhook = Type.Object({
  externalUserId: Type.String(),
  status: StringEnum(valuesOf(PoaStatus)),
}, { title: 'PoaVerificationWebhook', description: 'POST /webhook/poa-verification/status on every change of a proof-of-address review' });

export const StoredFileView = Type.Object({
  fileId: Type.String({ format: 'uuid' }),
  side: StringEnum(['FRONT', 'BACK', 'SELFIE', 'POA'] as const),
  contentType: StringEnum(['image/jpeg', 'image/png', 'application/pdf'] as const, { description: 'Detected from the bytes' }),
  size: Type.Integer(),
  sha256: Type.String({ description: 'SHA-256 of the uploaded bytes, hex' }),
}, { title: 'StoredDocumentFile' });

export const KycFilesAdded = Type.Object({
  externalUserId: Type.String(),
  verificationId: Type.String({ format: 'uuid' }),
  documentType: DocumentTypeEnum,
  status: StringEnum(['ADDED', 'ERROR'] as const, { description: 'As /webhook/kyc-files/status says' }),
  files: Type.Array(StoredFileView),
}, { title: 'KycFilesAdded', description: 'The files were stored and handed to the KYC provider' });

export const PoaFilesAdded = Type.Object({
  externalUserId: Type.String(),
  poaVerificationId: Type.String({ format: 'uuid' }),
  status: StringEnum(valuesOf(PoaStatus), { examples: ['WAITING'] }),
  files: Type.Array(StoredFileView),
}, { title: 'PoaFilesAdded', description: 'The proof of address is stored and waits for its review' });

const DATE = '^\\d{4}-\\d{2}-\\d{2}$';
export const UserVerificationBody = Type.Object({
  externalUserId: ExternalUserId,
  documentType: DocumentTypeEnum,
  documentNumber: Text({ maxLength: 50, examples: ['ABC123456'] }),
  issuingCountry: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$', examples: ['PL'] })),
  issueDate: Type.Optional(Type.String({ pattern: DATE, examples: ['2021-04-01'] })),
  expiryDate: Type.Optional(Type.String({ pattern: DATE, examples: ['2031-04-01'] })),
}, { additionalProperties: false, title: 'UserVerificationRequest', description: "The identity document's data (Add User Verification)" });
export type UserVerificationBody = Static<typeof UserVerificationBody>;

export const UserVerificationAnswer = Type.Object({
  externalUserId: Type.String(),
  status: StringEnum(valuesOf(UserStatus), { description: "The user's status: ACTIVE once the identity check passed too, else WAITING_FOR_VERIFICATION", examples: ['ACTIVE'] }),
  verificationStatus: Nullable(StringEnum(valuesOf(KycVerificationStatus))),
}, { title: 'UserVerificationAccepted', description: 'The data is stored; the user is ACTIVE when the identity check passed as well' });

export const PoaDecisionResult = Type.Object({
  externalUserId: Type.String(),
  status: StringEnum(valuesOf(PoaStatus), { examples: ['APPROVED'] }),
}, { title: 'SandboxPoaDecisionResult', description: 'The review is decided; /webhook/poa-verification/status carries the same' });
