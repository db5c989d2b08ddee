import type { KycSettings } from '../../config.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { newPageToken, sha256 } from '../../kernel/secrets.js';
import { KycAttemptStatus, KycVerificationStatus, PoaStatus, UserStatus } from '../../kernel/statuses.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { emitEvent } from '../../outbox/events.js';
import { decideKyc, poaRequired, requireUser, type UserRow } from '../users/index.js';
import { acceptedType, checkFormLimits, fileStore, purgeUserFiles, storeFiles, type FileSide, type FileType, type MultipartForm, type Upload } from './files.js';
import { plannedKycOutcome, plannedPoaOutcome, type KycOutcome } from './simulator.js';

/**
 * KYC (Method A files, Method B hosted verification), the user's verification data, proof of
 * address, and the simulated provider's decisions. The user's row is locked first (FOR NO KEY
 * UPDATE, as the users module does), then the KYC rows: every change of a user's KYC state is
 * serialized on the user, so the activation happens exactly once (maybeActivate).
 */

export type DocumentType = 'ID_CARD' | 'PASSPORT' | 'RESIDENCE_PERMIT' | 'DRIVER_LICENSE';
export const DOCUMENT_TYPES: readonly DocumentType[] = ['ID_CARD', 'PASSPORT', 'RESIDENCE_PERMIT', 'DRIVER_LICENSE'];
/** Documents photographed on both sides (front, back, selfie); a passport is one photo and a selfie. */
export const twoSided = (type: DocumentType) => type !== 'PASSPORT';

export interface KycVerificationRow {
  id: string;
  partner_id: string;
  user_id: string;
  method: 'FILES' | 'HOSTED';
  document_type: DocumentType;
  details: Record<string, unknown>;
  redirect_url: string | null;
  verification_status: KycVerificationStatus;
  attempt_status: KycAttemptStatus;
  rejection_reason: string | null;
  retry_allowed: boolean | null;
  open: boolean;
  page_step: 'CONSENT' | 'DOCUMENT' | 'SELFIE' | 'SUBMITTED';
  simulated_outcome: KycOutcome | null;
  page_token_hash: string | null;
  page_token_expires_at: Date | null;
  consent_at: Date | null;
  submitted_at: Date | null;
  decided_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface PoaRow {
  id: string;
  partner_id: string;
  user_id: string;
  status: PoaStatus;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
  decided_at: Date | null;
}

/** What every KYC function needs besides the transaction. */
export interface KycContext {
  secretKey: string;
  settings: KycSettings;
  /** Magic values (simulator.ts) count on a sandbox only; elsewhere the automatic review approves. */
  sandbox: boolean;
}

export const KYC_REVIEW_JOB = 'kyc.review';
export const POA_REVIEW_JOB = 'poa.review';

/** The partner's KYC-model user, locked: P412, P610 (deleted), P614 (non-KYC model). */
export async function requireKycUser(q: Queryable, partnerId: string, externalUserId: string, lock = true): Promise<UserRow> {
  const user = await requireUser(q, partnerId, externalUserId, { lock });
  if (user.model !== 'KYC') throw new ApiError('P614', 'KYC and proof of address apply to users of the KYC model only');
  return user;
}

async function lockUserById(q: Queryable, userId: string): Promise<UserRow | undefined> {
  const [user] = await q.query<UserRow>('SELECT * FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
  return user;
}

export async function latestVerification(q: Queryable, userId: string): Promise<KycVerificationRow | undefined> {
  const [row] = await q.query<KycVerificationRow>(
    'SELECT * FROM kyc_verifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1', [userId],
  );
  return row;
}

async function openVerificationOf(q: Queryable, userId: string): Promise<KycVerificationRow | undefined> {
  const [row] = await q.query<KycVerificationRow>('SELECT * FROM kyc_verifications WHERE user_id = $1 AND open', [userId]);
  return row;
}

async function updateVerification(q: Queryable, id: string, now: Date, changes: Partial<KycVerificationRow>): Promise<KycVerificationRow> {
  const entries = Object.entries(changes);
  const sets = entries.map(([column], i) => `${column} = $${i + 3}`).join(', ');
  const values = entries.map(([, value]) => (value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value));
  const [row] = await q.query<KycVerificationRow>(
    `UPDATE kyc_verifications SET updated_at = $2${sets ? `, ${sets}` : ''} WHERE id = $1 RETURNING *`, [id, now, ...values],
  );
  return row;
}

/** The KYC status as Get KYC Status answers it and /webhook/kyc/status sends it. */
export const kycStatusView = (user: UserRow, v: KycVerificationRow) => ({
  externalUserId: user.external_user_id,
  verificationId: v.id,
  verificationStatus: v.verification_status,
  attemptStatus: v.attempt_status,
  rejectionReason: v.rejection_reason,
});

const kycEvent = (q: Queryable, user: UserRow, v: KycVerificationRow) =>
  emitEvent(q, user.partner_id, 'kyc_verification.status', kycStatusView(user, v));

/**
 * Whether the user may open a new verification: waiting for KYC, or verified once but lapsed
 * (EXPIRED). A rejected user (final) or an active one is P617; an open attempt is P672.
 */
async function assertMayOpen(q: Queryable, user: UserRow): Promise<void> {
  const open = await openVerificationOf(q, user.id);
  if (open) throw new ApiError('P672', `The user already has an open KYC verification (verificationId ${open.id})`);
  if (user.status === UserStatus.WAITING_FOR_VERIFICATION) return;
  const latest = await latestVerification(q, user.id);
  if (user.status !== UserStatus.REJECTED && latest?.verification_status === KycVerificationStatus.EXPIRED) return;
  throw new ApiError('P617');
}

export interface KycVerificationInput {
  documentType: DocumentType;
  country: string;
  incomeSource: string;
  openAccountReason: string;
  taxId?: string;
  occupation?: string;
  additionalInfo?: string;
  redirectUrl?: string;
}

/** Method B: opens a hosted verification (attempt PENDING) and reports it. */
export async function createVerification(q: Queryable, user: UserRow, input: KycVerificationInput, now: Date): Promise<KycVerificationRow> {
  await assertMayOpen(q, user);
  const { documentType, redirectUrl, ...details } = input;
  const [row] = await q.query<KycVerificationRow>(
    `INSERT INTO kyc_verifications (id, partner_id, user_id, method, document_type, details, redirect_url, verification_status,
                                    attempt_status, created_at, updated_at)
     VALUES ($1, $2, $3, 'HOSTED', $4, $5, $6, $7, $8, $9, $9) RETURNING *`,
    [newId(), user.partner_id, user.id, documentType, JSON.stringify(details), redirectUrl ?? null,
      KycVerificationStatus.NOT_VERIFIED, KycAttemptStatus.PENDING, now],
  );
  await kycEvent(q, user, row);
  return row;
}

/**
 * Method B: a new link to the hosted page for an open hosted verification. Only the token's hash
 * is stored; a new link replaces the previous one (which stops working).
 */
export async function issuePageLink(
  q: Queryable, user: UserRow, verificationId: string, now: Date, ttlSeconds: number,
): Promise<{ token: string; expiresAt: Date; verification: KycVerificationRow }> {
  const [row] = await q.query<KycVerificationRow>(
    'SELECT * FROM kyc_verifications WHERE id::text = $1 AND user_id = $2 FOR NO KEY UPDATE', [verificationId, user.id],
  );
  if (!row) throw new ApiError('P673');
  if (row.method !== 'HOSTED' || !row.open) {
    throw new ApiError('P674', 'This verification is not open for the hosted page (it was decided, expired, or uses Method A files)');
  }
  const { token, hash } = newPageToken();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  const verification = await updateVerification(q, row.id, now, { page_token_hash: hash, page_token_expires_at: expiresAt });
  return { token, expiresAt, verification };
}

export type PageLookup =
  | { state: 'ok'; verification: KycVerificationRow; user: UserRow; partnerName: string; now: Date }
  | { state: 'invalid' | 'expired' | 'used'; redirectUrl?: string | null; partnerName?: string };

/**
 * The verification a page token opens, locked with its user: 'invalid' for an unknown token,
 * 'expired' past its expiry (partner clock), 'used' once the attempt is closed (decided or
 * expired): the link works for one attempt only.
 */
export async function openPage(q: Queryable, token: string): Promise<PageLookup> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return { state: 'invalid' };
  const [found] = await q.query<{ id: string; user_id: string; clock_offset_ms: bigint; partner_name: string }>(
    `SELECT v.id, v.user_id, p.clock_offset_ms, p.name AS partner_name
     FROM kyc_verifications v JOIN partners p ON p.id = v.partner_id WHERE v.page_token_hash = $1`,
    [sha256(token)],
  );
  if (!found) return { state: 'invalid' };
  const user = await lockUserById(q, found.user_id);
  const [verification] = await q.query<KycVerificationRow>(
    'SELECT * FROM kyc_verifications WHERE id = $1 AND page_token_hash = $2 FOR NO KEY UPDATE', [found.id, sha256(token)],
  );
  if (!user || !verification) return { state: 'invalid' };
  const now = new Date(Date.now() + Number(found.clock_offset_ms));
  const about = { redirectUrl: verification.redirect_url, partnerName: found.partner_name };
  if (!verification.open || user.deleted_at) return { state: 'used', ...about };
  if (!verification.page_token_expires_at || verification.page_token_expires_at.getTime() <= now.getTime()) return { state: 'expired', ...about };
  return { state: 'ok', verification, user, partnerName: found.partner_name, now };
}

/** Hosted page: consent given and the document type chosen. */
export async function pageConsent(q: Queryable, v: KycVerificationRow, documentType: DocumentType, now: Date): Promise<KycVerificationRow> {
  if (v.page_step !== 'CONSENT') return v;
  return updateVerification(q, v.id, now, { consent_at: now, document_type: documentType, page_step: 'DOCUMENT' });
}

type CheckedFile = { upload: Upload; side: FileSide; type: FileType };

/** P426 unless every file's bytes, declared type and name agree on an allowed type (a selfie must be an image). */
function checkTypes(files: { upload: Upload; side: FileSide }[]): CheckedFile[] {
  return files.map(({ upload, side }) => {
    const type = acceptedType(upload.data, upload.declaredType, upload.filename);
    if (!type || (side === 'SELFIE' && type === 'application/pdf')) {
      throw new ApiError('P426', `Invalid file type: ${side === 'SELFIE' ? 'a selfie must be JPEG or PNG' : 'JPEG, PNG or PDF only'} (judged by the file's content)`);
    }
    return { upload, side, type };
  });
}

/** Hosted page: the document's sides. */
export async function pageDocument(q: Queryable, ctx: KycContext, user: UserRow, v: KycVerificationRow, form: MultipartForm, now: Date) {
  checkFormLimits(form, 2);
  const wanted: FileSide[] = twoSided(v.document_type) ? ['FRONT', 'BACK'] : ['FRONT'];
  const files = wanted.map((side) => ({ side, upload: form.files.find((f) => f.field === side.toLowerCase() && f.size > 0) }));
  const missing = files.filter((f) => !f.upload).map((f) => f.side.toLowerCase());
  if (missing.length) throw new ApiError('P671', `Add a photo of the ${missing.join(' and the ')} of the document`);
  const checked = checkTypes(files as { upload: Upload; side: FileSide }[]);
  await storeFiles(q, fileStore(ctx.settings.filesDir), ctx.secretKey, { partnerId: user.partner_id, userId: user.id, kycVerificationId: v.id }, checked, now);
  return updateVerification(q, v.id, now, { page_step: 'SELFIE' });
}

/** Hosted page: the selfie; the attempt is submitted to the provider. */
export async function pageSelfie(q: Queryable, ctx: KycContext, user: UserRow, v: KycVerificationRow, form: MultipartForm, now: Date) {
  checkFormLimits(form, 1);
  const upload = form.files.find((f) => f.field === 'selfie' && f.size > 0);
  if (!upload) throw new ApiError('P671', 'Add a selfie');
  const checked = checkTypes([{ upload, side: 'SELFIE' }]);
  await storeFiles(q, fileStore(ctx.settings.filesDir), ctx.secretKey, { partnerId: user.partner_id, userId: user.id, kycVerificationId: v.id }, checked, now);
  return submit(q, ctx, user, v, plannedKycOutcome(ctx.sandbox, user.profile.lastName, [upload.filename]), now);
}

/** Files in: the provider is checking (VERIFICATION), and its automatic review is queued. */
async function submit(
  q: Queryable, ctx: KycContext, user: UserRow, v: KycVerificationRow, outcome: KycOutcome, now: Date, extra: Partial<KycVerificationRow> = {},
) {
  const submitted = await updateVerification(q, v.id, now, {
    attempt_status: KycAttemptStatus.VERIFICATION, page_step: 'SUBMITTED', submitted_at: now, simulated_outcome: outcome, ...extra,
  });
  await kycEvent(q, user, submitted);
  await enqueueJob(q, {
    kind: KYC_REVIEW_JOB, partnerId: user.partner_id, runAt: new Date(now.getTime() + ctx.settings.reviewSeconds * 1000),
    payload: { verificationId: v.id, submittedAt: now.toISOString() },
  });
  return submitted;
}

/**
 * Method A: the partner's files for the user's document. Parts by name (`front`, `back`,
 * `selfie`), or a repeated `files` part in that order (a passport: document, then selfie); an
 * optional `documentType` field (else ID_CARD with three files, PASSPORT with two). Opens a FILES
 * attempt, or fills one waiting for a resubmission, and hands it to the provider.
 */
export async function addKycFiles(q: Queryable, ctx: KycContext, user: UserRow, form: MultipartForm, now: Date) {
  checkFormLimits(form, 3);
  const open = await openVerificationOf(q, user.id);
  if (open && !(open.method === 'FILES' && open.attempt_status === KycAttemptStatus.PENDING)) {
    throw new ApiError('P672', `The user already has an open KYC verification (verificationId ${open.id})`);
  }
  if (!open) await assertMayOpen(q, user);
  const named = form.files.filter((f) => f.field !== 'files');
  const listed = form.files.filter((f) => f.field === 'files');
  if (named.length && listed.length) throw new ApiError('P403', 'Send the files either by name (front, back, selfie) or as a repeated files part, not both');
  const declaredType = form.fields.documentType?.trim().toUpperCase();
  if (declaredType !== undefined && !DOCUMENT_TYPES.includes(declaredType as DocumentType)) {
    throw new ApiError('P403', `documentType must be one of the following values: ${DOCUMENT_TYPES.join(', ')}`);
  }
  const count = named.length || listed.length;
  const documentType = (declaredType ?? (named.length ? (named.some((f) => f.field === 'back') ? 'ID_CARD' : 'PASSPORT') : count >= 3 ? 'ID_CARD' : 'PASSPORT')) as DocumentType;
  const sides: FileSide[] = twoSided(documentType) ? ['FRONT', 'BACK', 'SELFIE'] : ['FRONT', 'SELFIE'];
  const bySide = sides.map((side, i) => ({
    side, upload: named.length ? named.find((f) => f.field === side.toLowerCase() || (side === 'FRONT' && f.field === 'document')) : listed[i],
  }));
  const missing = bySide.filter((f) => !f.upload).map((f) => f.side.toLowerCase());
  const unexpected = named.filter((f) => !bySide.some((s) => s.upload === f)).map((f) => f.field);
  if (missing.length || unexpected.length || (listed.length && listed.length !== sides.length)) {
    throw new ApiError('P671', `${documentType} needs ${sides.map((s) => s.toLowerCase()).join(', ')}`
      + `${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unexpected.length ? `; not expected: ${unexpected.join(', ')}` : ''}`);
  }
  const checked = checkTypes(bySide as { upload: Upload; side: FileSide }[]);
  const verification = open ?? (await q.query<KycVerificationRow>(
    `INSERT INTO kyc_verifications (id, partner_id, user_id, method, document_type, verification_status, attempt_status, page_step, created_at, updated_at)
     VALUES ($1, $2, $3, 'FILES', $4, $5, $6, 'SUBMITTED', $7, $7) RETURNING *`,
    [newId(), user.partner_id, user.id, documentType, KycVerificationStatus.NOT_VERIFIED, KycAttemptStatus.PENDING, now],
  ))[0];
  const stored = await storeFiles(q, fileStore(ctx.settings.filesDir), ctx.secretKey,
    { partnerId: user.partner_id, userId: user.id, kycVerificationId: verification.id }, checked, now);
  const outcome = plannedKycOutcome(ctx.sandbox, user.profile.lastName, checked.map((c) => c.upload.filename));
  if (outcome.decision === 'ERROR') {
    // The provider cannot process the files: the attempt ends at once, the partner may upload again.
    await emitEvent(q, user.partner_id, 'kyc_file.status', { externalUserId: user.external_user_id, status: 'ERROR' });
    const failed = await updateVerification(q, verification.id, now, {
      attempt_status: KycAttemptStatus.REJECTED_BY_PROVIDER, rejection_reason: outcome.reason, retry_allowed: true, open: false, decided_at: now,
    });
    await kycEvent(q, user, failed);
    return { verification: failed, files: stored, status: 'ERROR' as const };
  }
  await emitEvent(q, user.partner_id, 'kyc_file.status', { externalUserId: user.external_user_id, status: 'ADDED' });
  const submitted = await submit(q, ctx, user, verification, outcome, now, { document_type: documentType });
  return { verification: submitted, files: stored, status: 'ADDED' as const };
}

export type KycDecision =
  | { decision: 'APPROVE' }
  | { decision: 'REJECT'; reason: string; retryAllowed: boolean }
  | { decision: 'RESUBMIT'; reason: string }
  | { decision: 'EXPIRE' };

/**
 * The provider's decision on the user's latest attempt (the sandbox endpoints, the hosted page's
 * sandbox buttons and the automatic review all come here). APPROVE and REJECT need an open
 * attempt, RESUBMIT one whose files are in; EXPIRE lapses the latest verification unless it already
 * lapsed. A rejection without retry rejects the user (final); an approval activates the user when
 * the verification data is in too.
 */
export async function decideVerification(q: Queryable, user: UserRow, v: KycVerificationRow, d: KycDecision, now: Date): Promise<KycVerificationRow> {
  let next: KycVerificationRow;
  if (d.decision === 'EXPIRE') {
    if (v.verification_status === KycVerificationStatus.EXPIRED) throw new ApiError('P674', 'The verification has already expired');
    next = await updateVerification(q, v.id, now, { verification_status: KycVerificationStatus.EXPIRED, open: false, decided_at: now });
  } else if (d.decision === 'RESUBMIT') {
    if (!v.open || v.attempt_status !== KycAttemptStatus.VERIFICATION) throw new ApiError('P674', 'Only an attempt whose files are in can be sent back for resubmission');
    next = await updateVerification(q, v.id, now, {
      attempt_status: KycAttemptStatus.PENDING, rejection_reason: d.reason, page_step: v.method === 'HOSTED' ? 'DOCUMENT' : 'SUBMITTED',
      submitted_at: null, simulated_outcome: null,
    });
  } else {
    if (!v.open) throw new ApiError('P674', 'The KYC attempt was already decided');
    next = d.decision === 'APPROVE'
      ? await updateVerification(q, v.id, now, {
          attempt_status: KycAttemptStatus.SUCCESSFUL, verification_status: KycVerificationStatus.VERIFIED, rejection_reason: null,
          retry_allowed: null, open: false, decided_at: now,
        })
      : await updateVerification(q, v.id, now, {
          attempt_status: KycAttemptStatus.REJECTED_BY_PROVIDER, rejection_reason: d.reason, retry_allowed: d.retryAllowed, open: false, decided_at: now,
        });
  }
  await kycEvent(q, user, next);
  if (d.decision === 'REJECT' && !d.retryAllowed && user.status === UserStatus.WAITING_FOR_VERIFICATION) {
    await decideKyc(q, user, 'REJECTED', now);
  }
  if (d.decision === 'APPROVE') await maybeActivate(q, user, now);
  return next;
}

/**
 * The user becomes ACTIVE (IBAN, active EUR balance, /webhook/user/status) when both the identity
 * check passed and the verification data arrived, whichever comes last. The caller holds the
 * user's row lock, so two concurrent last steps cannot both activate; the users module's decideKyc
 * refuses a user that is no longer waiting.
 */
async function maybeActivate(q: Queryable, user: UserRow, now: Date): Promise<UserRow> {
  if (user.status !== UserStatus.WAITING_FOR_VERIFICATION) return user;
  const [ready] = await q.query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM kyc_verifications WHERE user_id = $1 AND verification_status = $2)
        AND EXISTS (SELECT 1 FROM user_verifications WHERE user_id = $1) AS ok`,
    [user.id, KycVerificationStatus.VERIFIED],
  );
  return ready.ok ? decideKyc(q, user, 'APPROVED', now) : user;
}

export interface VerificationDataInput {
  externalUserId: string;
  documentType: DocumentType;
  documentNumber: string;
  issuingCountry?: string;
  issueDate?: string;
  expiryDate?: string;
}

/**
 * Add User Verification: the document's data. Accepted (and replaceable) while the user waits for
 * verification; once the user is active it is P676. Activates the user when the identity check
 * already passed.
 */
export async function addVerificationData(q: Queryable, user: UserRow, input: VerificationDataInput, now: Date): Promise<UserRow> {
  const [existing] = await q.query('SELECT 1 FROM user_verifications WHERE user_id = $1', [user.id]);
  if (user.status !== UserStatus.WAITING_FOR_VERIFICATION) {
    if (existing) throw new ApiError('P676');
    if (user.status === UserStatus.REJECTED) throw new ApiError('P617');
  }
  const { externalUserId: _ignored, ...data } = input;
  await q.query(
    `INSERT INTO user_verifications (user_id, partner_id, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (user_id) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`,
    [user.id, user.partner_id, JSON.stringify(data), now],
  );
  return maybeActivate(q, user, now);
}

/** The automatic review: the provider's planned verdict, if the attempt still waits for it. */
export const reviewKyc: JobHandler = async (job, { q, now }) => {
  const [found] = await q.query<{ user_id: string }>('SELECT user_id FROM kyc_verifications WHERE id = $1', [job.payload.verificationId]);
  if (!found) return;
  const user = await lockUserById(q, found.user_id);
  const [v] = await q.query<KycVerificationRow>('SELECT * FROM kyc_verifications WHERE id = $1 FOR NO KEY UPDATE', [job.payload.verificationId]);
  // Decided meanwhile, or sent back and submitted again (a later review job answers that submission).
  if (!user || user.deleted_at || !v.open || v.attempt_status !== KycAttemptStatus.VERIFICATION) return;
  if (v.submitted_at?.toISOString() !== job.payload.submittedAt) return;
  const outcome = v.simulated_outcome ?? { decision: 'APPROVE' };
  const decision: KycDecision = outcome.decision === 'ERROR' ? { decision: 'REJECT', reason: outcome.reason, retryAllowed: true } : outcome;
  await decideVerification(q, user, v, decision, now);
};

// Proof of address

export async function latestPoa(q: Queryable, userId: string): Promise<PoaRow | undefined> {
  const [row] = await q.query<PoaRow>('SELECT * FROM poa_verifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1', [userId]);
  return row;
}

const poaEvent = (q: Queryable, user: UserRow, status: PoaStatus) =>
  emitEvent(q, user.partner_id, 'poa_verification.status', { externalUserId: user.external_user_id, status });

/**
 * Add POA File: 1 to 3 files in `files` parts. P447 once approved, P211 (HTTP 202) while one is
 * under review; a REJECTED or QUESTIONED review may be answered with new files.
 */
export async function addPoaFiles(q: Queryable, ctx: KycContext, user: UserRow, form: MultipartForm, now: Date) {
  const latest = await latestPoa(q, user.id);
  if (latest?.status === PoaStatus.APPROVED) throw new ApiError('P447');
  if (latest?.status === PoaStatus.WAITING) throw new ApiError('P211');
  checkFormLimits(form, 3);
  const others = form.files.filter((f) => f.field !== 'files').map((f) => f.field);
  if (others.length) throw new ApiError('P403', `Send the files in parts named files (got: ${others.join(', ')})`);
  if (!form.files.length) throw new ApiError('P403', 'files should not be empty');
  const checked = checkTypes(form.files.map((upload) => ({ upload, side: 'POA' as const })));
  const [poa] = await q.query<PoaRow>(
    `INSERT INTO poa_verifications (id, partner_id, user_id, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING *`,
    [newId(), user.partner_id, user.id, PoaStatus.WAITING, now],
  );
  const stored = await storeFiles(q, fileStore(ctx.settings.filesDir), ctx.secretKey,
    { partnerId: user.partner_id, userId: user.id, poaVerificationId: poa.id }, checked, now);
  await poaEvent(q, user, PoaStatus.WAITING);
  const outcome = plannedPoaOutcome(ctx.sandbox, user.profile.lastName, form.files.map((f) => f.filename));
  await enqueueJob(q, {
    kind: POA_REVIEW_JOB, partnerId: user.partner_id, runAt: new Date(now.getTime() + ctx.settings.poaReviewSeconds * 1000),
    payload: { poaVerificationId: poa.id, ...outcome },
  });
  return { poa, files: stored };
}

/** A review of the user's proof of address waiting for one: P460 without any, P675 when the latest is not WAITING. */
export async function decidePoa(q: Queryable, user: UserRow, status: 'APPROVED' | 'REJECTED' | 'QUESTIONED', reason: string | null, now: Date) {
  const latest = await latestPoa(q, user.id);
  if (!latest) throw new ApiError('P460');
  if (latest.status !== PoaStatus.WAITING) throw new ApiError('P675');
  const [row] = await q.query<PoaRow>(
    'UPDATE poa_verifications SET status = $2, reason = $3, updated_at = $4, decided_at = $4 WHERE id = $1 RETURNING *',
    [latest.id, status, status === PoaStatus.APPROVED ? null : reason, now],
  );
  await poaEvent(q, user, status);
  return row;
}

export const reviewPoa: JobHandler = async (job, { q, now }) => {
  const [found] = await q.query<{ user_id: string; status: PoaStatus }>('SELECT user_id, status FROM poa_verifications WHERE id = $1', [job.payload.poaVerificationId]);
  if (!found || found.status !== PoaStatus.WAITING) return;
  const user = await lockUserById(q, found.user_id);
  if (!user || user.deleted_at) return;
  const latest = await latestPoa(q, user.id);
  if (!latest || latest.id !== job.payload.poaVerificationId || latest.status !== PoaStatus.WAITING) return;
  await decidePoa(q, user, job.payload.status, job.payload.reason ?? null, now);
};

/** Whether the user's latest proof of address was approved (the extended tier). */
export async function hasApprovedProofOfAddress(q: Queryable, userId: string): Promise<boolean> {
  const [row] = await q.query<{ status: PoaStatus }>(
    'SELECT status FROM poa_verifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1', [userId],
  );
  return row?.status === PoaStatus.APPROVED;
}

/** Whether the user needs an approved proof of address for the extended tier, by CENTUM_POA_FOR_EXTENDED. */
export function poaNeededForExtended(user: Pick<UserRow, 'profile'>, policy: KycSettings['poaForExtended']): boolean {
  return policy === 'always' || (policy === 'countries' && poaRequired(user.profile));
}

/**
 * The extended tier (cards: P461 "User not extended" otherwise): an ACTIVE KYC-model user whose
 * proof of address is approved, or who needs none under CENTUM_POA_FOR_EXTENDED.
 */
export async function isExtendedUser(q: Queryable, user: UserRow, policy: KycSettings['poaForExtended']): Promise<boolean> {
  if (user.model !== 'KYC' || user.status !== UserStatus.ACTIVE) return false;
  return !poaNeededForExtended(user, policy) || hasApprovedProofOfAddress(q, user.id);
}

/** A deleted user's files leave the store and the table. */
export const purgeDeletedUser: JobHandler = async (job, { q, runtime }) => {
  await purgeUserFiles(q, fileStore(runtime.config.kyc.filesDir), job.payload.userId);
};
