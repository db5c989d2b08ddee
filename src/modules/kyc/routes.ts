import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { publicBaseUrl } from '../../kernel/web/page.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError, validationError } from '../../kernel/errors.js';
import { errorResponses } from '../../kernel/schemas.js';
import { COUNTRY_CODES, UserParams } from '../users/index.js';
import { formDigest, readMultipart, type MultipartForm, type StoredFile } from './files.js';
import {
  CreateKycVerificationBody, KycFilesAdded, KycStatus, KycVerificationCreated, PoaFilesAdded, UserVerificationAnswer, UserVerificationBody,
  VerificationLink, VerificationParams,
} from './schemas.js';
import {
  DOCUMENT_TYPES, addKycFiles, addPoaFiles, addVerificationData, createVerification, issuePageLink, kycStatusView, latestVerification, requireKycUser,
  type KycContext,
} from './service.js';

const tags = ['KYC'];

/** The hosted page's base URL: CENTUM_PUBLIC_URL, else the request's own scheme and host. */
/**
 * Reads a file route's multipart form before validation and the idempotency check: the request's
 * body becomes the form's digest (fields, and each file's name, type, size and SHA-256), so an
 * Idempotency-Key's hash covers the files' contents; the bytes stay on `request.uploads`.
 */
const readForm = (maxFiles: number) => async (request: FastifyRequest) => {
  const form = await readMultipart(request, maxFiles);
  request.uploads = form;
  request.body = formDigest(form);
};

const fileView = (f: StoredFile) => ({ fileId: f.id, side: f.side, contentType: f.contentType, size: f.size, sha256: f.sha256 });

const isUrl = (value: string, sandbox: boolean) => {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (sandbox && url.protocol === 'http:');
  } catch {
    return false;
  }
};

/** The conditional fields of Creating KYC Verification (spec 3.4). */
function checkConditionalFields(body: CreateKycVerificationBody, sandbox: boolean): void {
  const problems: string[] = [];
  if (!COUNTRY_CODES.has(body.country.toUpperCase())) problems.push('country must be an ISO 3166-1 alpha-2 country code');
  if (body.incomeSource === 'BUSINESS_ACTIVITY' && !body.taxId) problems.push('taxId is required when incomeSource is BUSINESS_ACTIVITY');
  if (body.incomeSource === 'SALARY' && !body.occupation) problems.push('occupation is required when incomeSource is SALARY');
  if (body.incomeSource !== 'BUSINESS_ACTIVITY' && !body.additionalInfo) {
    problems.push(`additionalInfo is required when incomeSource is ${body.incomeSource}`);
  }
  if (body.redirectUrl !== undefined && !isUrl(body.redirectUrl, sandbox)) problems.push(`redirectUrl must be an ${sandbox ? 'http(s)' : 'https'} URL`);
  if (problems.length) throw validationError(...problems);
}

/**
 * The contract of a multipart route: its parts, for the OpenAPI document. Validation sees the
 * form's digest (readForm), which such a schema (no required properties) always accepts.
 */
const Binary = (description: string) => Type.Optional(Type.Unsafe<unknown>({ type: 'string', format: 'binary', description }));
const multipartBody = (description: string, parts: Record<string, ReturnType<typeof Binary>>, title: string) => ({
  consumes: ['multipart/form-data'],
  description,
  body: Type.Object(parts, { title, description: 'multipart/form-data parts' }),
});

/** Method A and B, Add User Verification, Add POA File. */
export const kycRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app.ctx;
  const ctx: KycContext = { secretKey: config.secretKey, settings: config.kyc, sandbox: config.sandbox };
  // Multipart only for this module's routes; sizes are checked by readMultipart (P440, HTTP 400).
  await app.register(multipart, { throwFileSizeLimit: false });

  app.post('/v1/user/kyc-files/:externalUserId', {
    preValidation: readForm(3),
    schema: {
      operationId: 'uploadKycFiles', tags, summary: 'Method A: Add KYC File',
      ...multipartBody(
        'multipart/form-data with the document photos and a selfie, each JPEG, PNG or PDF (selfie: JPEG or PNG), at most 5 MB, 3 files. '
        + 'Parts by name: `front`, `back`, `selfie` (a passport: `front` or `document`, and `selfie`); or a repeated `files` part in that '
        + 'order. Optional field `documentType` (ID_CARD, PASSPORT, RESIDENCE_PERMIT, DRIVER_LICENSE; default ID_CARD with three files, '
        + 'PASSPORT with two). Types are judged by the bytes. Answers 201; /webhook/kyc-files/status ADDED (or ERROR), then '
        + '/webhook/kyc/status as the provider reviews.',
        {
          front: Binary('Front of the document (a passport: its photo page)'),
          back: Binary('Back of the document (ID card, residence permit, driver licence)'),
          selfie: Binary('Selfie (JPEG or PNG)'),
          document: Binary("A passport's photo page (same as front)"),
          files: Binary('Instead of named parts: repeated, in the order front, back, selfie (passport: document, selfie)'),
          documentType: Type.Optional(Type.Unsafe<unknown>({ type: 'string', enum: [...DOCUMENT_TYPES], description: 'Text field (optional)' })),
        },
        'KycFilesUpload',
      ),
      params: UserParams,
      response: { 201: KycFilesAdded, ...errorResponses('P412', 'P426', 'P440', 'P610', 'P614', 'P617', 'P670', 'P671', 'P672', 'P677') },
    },
  }, async (request, reply) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const result = await db.tx(async (q) => {
      const user = await requireKycUser(q, request.partner.id, request.params.externalUserId);
      return addKycFiles(q, ctx, user, request.uploads as MultipartForm, now);
    });
    return reply.code(201).send({
      externalUserId: request.params.externalUserId, verificationId: result.verification.id, documentType: result.verification.document_type,
      status: result.status, files: result.files.map(fileView),
    });
  });

  app.post('/v1/kyc', {
    schema: {
      operationId: 'createKycVerification', tags, summary: 'Method B: Creating KYC Verification',
      description: 'Opens a hosted verification (attemptStatus PENDING) for a KYC-model user waiting for verification; at most one open '
        + 'verification per user (P672). Conditional fields: taxId for BUSINESS_ACTIVITY, occupation for SALARY, additionalInfo for the others.',
      body: CreateKycVerificationBody,
      response: { 201: KycVerificationCreated, ...errorResponses('P412', 'P610', 'P614', 'P617', 'P672') },
    },
  }, async (request, reply) => {
    checkConditionalFields(request.body, config.sandbox);
    const now = partnerNow(request.partner.clockOffsetMs);
    const { externalUserId, ...input } = request.body;
    const v = await db.tx(async (q) => {
      const user = await requireKycUser(q, request.partner.id, externalUserId);
      return createVerification(q, user, { ...input, country: input.country.toUpperCase() }, now);
    });
    return reply.code(201).send({ verificationId: v.id, externalUserId, verificationStatus: v.verification_status, attemptStatus: v.attempt_status });
  });

  app.get('/v1/kyc/verification/:externalUserId/:verificationId', {
    schema: {
      operationId: 'getKycVerificationLink', tags, summary: 'Method B: Redirect to Verification',
      description: 'Answers JSON with the URL of the hosted verification page (not a redirect: a fetch() or server client reads the URL '
        + 'and sends its user there). Each call issues a new link and ends the previous one; it expires after CENTUM_KYC_LINK_TTL_SECONDS.',
      params: VerificationParams,
      response: { 200: VerificationLink, ...errorResponses('P412', 'P610', 'P614', 'P673', 'P674') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const link = await db.tx(async (q) => {
      const user = await requireKycUser(q, request.partner.id, request.params.externalUserId);
      return issuePageLink(q, user, request.params.verificationId, now, config.kyc.linkTtlSeconds);
    });
    return {
      verificationId: link.verification.id,
      url: `${publicBaseUrl(config.publicUrl, request)}/kyc/verify/${link.token}`,
      expiresAt: link.expiresAt.toISOString(),
    };
  });

  app.get('/v1/kyc/status/:externalUserId', {
    schema: {
      operationId: 'getKycStatus', tags, summary: 'Method B: Get KYC Status',
      description: "The user's latest KYC verification (Method A or B); P445 when the user has none.",
      params: UserParams,
      response: { 200: KycStatus, ...errorResponses('P412', 'P445', 'P610', 'P614') },
    },
  }, async (request) => db.tx(async (q) => {
    const user = await requireKycUser(q, request.partner.id, request.params.externalUserId, false);
    const v = await latestVerification(q, user.id);
    if (!v) throw new ApiError('P445');
    return kycStatusView(user, v);
  }));

  app.post('/v1/user/verification', {
    schema: {
      operationId: 'submitUserVerification', tags, summary: 'Add User Verification',
      description: "The identity document's data. The user becomes ACTIVE (IBAN, active EUR balance, /webhook/user/status) once both "
        + 'this data and a passed identity check are in, whichever comes last. Replaceable until then; P676 after.',
      body: UserVerificationBody,
      response: { 200: UserVerificationAnswer, ...errorResponses('P412', 'P610', 'P614', 'P617', 'P676') },
    },
  }, async (request) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const body = request.body;
    const problems: string[] = [];
    if (body.issuingCountry && !COUNTRY_CODES.has(body.issuingCountry.toUpperCase())) problems.push('issuingCountry must be an ISO 3166-1 alpha-2 country code');
    for (const field of ['issueDate', 'expiryDate'] as const) {
      const value = body[field];
      if (value && Number.isNaN(Date.parse(`${value}T00:00:00Z`))) problems.push(`${field} must be a real date`);
    }
    if (body.expiryDate && Date.parse(`${body.expiryDate}T23:59:59Z`) < now.getTime()) problems.push('expiryDate must not be in the past');
    if (problems.length) throw validationError(...problems);
    return db.tx(async (q) => {
      const user = await requireKycUser(q, request.partner.id, body.externalUserId);
      const after = await addVerificationData(q, user, { ...body, issuingCountry: body.issuingCountry?.toUpperCase() }, now);
      const latest = await latestVerification(q, user.id);
      return { externalUserId: body.externalUserId, status: after.status, verificationStatus: latest?.verification_status ?? null };
    });
  });

  app.post('/v1/user/poa-files/:externalUserId', {
    preValidation: readForm(3),
    schema: {
      operationId: 'uploadPoaFile', tags, summary: 'Add POA File',
      ...multipartBody(
        'multipart/form-data, parts named `files`: 1 to 3 proof-of-address documents, JPEG, PNG or PDF (judged by the bytes), at most '
        + '5 MB each. 201 WAITING, then /webhook/poa-verification/status. 202 P211 while one is under review; P447 once approved.',
        { files: Binary('A proof-of-address document; the part repeats for up to 3 files') },
        'PoaFilesUpload',
      ),
      params: UserParams,
      response: { 201: PoaFilesAdded, ...errorResponses('P211', 'P412', 'P426', 'P440', 'P447', 'P610', 'P614', 'P670', 'P677') },
    },
  }, async (request, reply) => {
    const now = partnerNow(request.partner.clockOffsetMs);
    const { poa, files } = await db.tx(async (q) => {
      const user = await requireKycUser(q, request.partner.id, request.params.externalUserId);
      return addPoaFiles(q, ctx, user, request.uploads as MultipartForm, now);
    });
    return reply.code(201).send({ externalUserId: request.params.externalUserId, poaVerificationId: poa.id, status: poa.status, files: files.map(fileView) });
  });
};
