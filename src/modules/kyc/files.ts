import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { deriveKey, seal, unseal } from '../../kernel/secrets.js';

/**
 * Document files (KYC sides and selfies, proof of address): read from a multipart request with
 * the size checked while streaming, typed by their bytes, sealed with AES-256-GCM (key derived from
 * the master secret, the file id as associated data) and kept in a FileStore. The database keeps
 * each file's SHA-256, size, type and store key (kyc_files).
 */

export const MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Parts past this many files make the request fail as a whole (the plugin's own bound). */
const HARD_FILE_LIMIT = 20;

export type FileType = 'image/jpeg' | 'image/png' | 'application/pdf';

/** The type of `bytes` from their signature (JPEG, PNG, PDF), whatever the request declared. */
export function detectType(bytes: Buffer): FileType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 5 && bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  return undefined;
}

const EXTENSIONS: Record<string, FileType> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', pdf: 'application/pdf' };
const DECLARED: Record<string, FileType> = { 'image/jpeg': 'image/jpeg', 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg',
  'image/png': 'image/png', 'application/pdf': 'application/pdf' };

/**
 * The file's type when its bytes, declared type and name agree: the bytes decide; a declared type
 * other than application/octet-stream (what clients send when they do not know) must name the
 * same type, and so must a file name's extension when it has one. Anything else is undefined (P426).
 */
export function acceptedType(bytes: Buffer, declared: string, filename: string): FileType | undefined {
  const detected = detectType(bytes);
  if (!detected) return undefined;
  const declaredType = declared.split(';')[0].trim().toLowerCase();
  if (declaredType && declaredType !== 'application/octet-stream' && DECLARED[declaredType] !== detected) return undefined;
  const ext = /\.([^./\\]+)$/.exec(filename)?.[1]?.toLowerCase();
  if (ext !== undefined && EXTENSIONS[ext] !== detected) return undefined;
  return detected;
}

export interface Upload {
  field: string;
  filename: string;
  declaredType: string;
  size: number;
  sha256: string;
  data: Buffer;
}

export interface MultipartForm {
  fields: Record<string, string>;
  files: Upload[];
  /** A file was larger than MAX_FILE_BYTES (its bytes were read and dropped). */
  tooLarge: boolean;
  /** Files beyond `maxFiles` (read and dropped). */
  extraFiles: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The multipart form of a file route, read by readMultipart before validation. */
    uploads?: MultipartForm;
  }
}

/**
 * Reads every part of a multipart request. A file's bytes are counted as they arrive: past
 * MAX_FILE_BYTES they are dropped (the plugin truncates the part at one byte more) and the form is
 * marked too large; files past `maxFiles` are read and dropped. Nothing is refused until every part
 * has been read, so the client always gets its answer.
 */
export async function readMultipart(request: FastifyRequest, maxFiles: number): Promise<MultipartForm> {
  if (!request.isMultipart()) throw new ApiError('P677');
  const form: MultipartForm = { fields: {}, files: [], tooLarge: false, extraFiles: 0 };
  try {
    for await (const part of request.parts({ limits: { fileSize: MAX_FILE_BYTES + 1, files: HARD_FILE_LIMIT, fields: 20, fieldSize: 2048 } })) {
      if (part.type === 'field') {
        if (typeof part.value === 'string') form.fields[part.fieldname] = part.value;
        continue;
      }
      const keep = form.files.length < maxFiles;
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of part.file as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (!keep || size > MAX_FILE_BYTES) continue;
        hash.update(chunk);
        chunks.push(chunk);
      }
      if (!keep) {
        form.extraFiles++;
        continue;
      }
      if (size > MAX_FILE_BYTES || part.file.truncated) {
        form.tooLarge = true;
        continue;
      }
      form.files.push({
        field: part.fieldname, filename: part.filename ?? '', declaredType: part.mimetype ?? '', size,
        sha256: hash.digest('hex'), data: Buffer.concat(chunks),
      });
    }
  } catch (error: any) {
    if (error?.code === 'FST_FILES_LIMIT') throw new ApiError('P670', `At most ${maxFiles} files`);
    if (error?.code === 'FST_PARTS_LIMIT' || error?.code === 'FST_FIELDS_LIMIT') throw new ApiError('P403', 'Too many form fields');
    throw error;
  }
  return form;
}

/**
 * What the idempotency hash of a file request covers (src/kernel/http/idempotency.ts hashes the
 * request body): the form's fields and, per file, its part name, file name, declared type, size
 * and SHA-256, never the bytes themselves.
 */
export const formDigest = (form: MultipartForm) => ({
  // Names unlike any part's, so the route's documentation schema (its parts, none required) accepts it.
  formFields: form.fields,
  formFiles: form.files.map(({ field, filename, declaredType, size, sha256 }) => ({ field, filename, declaredType, size, sha256 })),
  formTooLarge: form.tooLarge,
  formExtraFiles: form.extraFiles,
});

/** The route-level check of a file form: P670 more than `max` files, P440 one too large. */
export function checkFormLimits(form: MultipartForm, max: number): void {
  if (form.extraFiles > 0) throw new ApiError('P670', `At most ${max} files`);
  if (form.tooLarge) throw new ApiError('P440', `File too large: at most ${MAX_FILE_BYTES} bytes (5 MB) each`);
}

/**
 * Where sealed files live. The local folder is the default; an S3-compatible bucket (or any blob
 * store) is another implementation of these three calls (docs/decisions.md, "KYC files").
 */
export interface FileStore {
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** Removes the object; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Removes every object under `<prefix>/` (a user's folder: also objects a failed request left unreferenced). */
  deletePrefix(prefix: string): Promise<void>;
}

/** Files under a folder (CENTUM_FILES_DIR), written atomically (temporary file, then rename), readable by the owner only. */
export class LocalFileStore implements FileStore {
  constructor(readonly dir: string) {}

  private pathOf(key: string): string {
    if (!/^[0-9a-f-]+\/[0-9a-f-]+$/.test(key)) throw new Error(`bad file key ${key}`);
    return path.join(this.dir, key);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const temporary = `${target}.${newId()}.tmp`;
    await writeFile(temporary, data, { mode: 0o600 });
    await rename(temporary, target);
  }

  get(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!/^[0-9a-f-]+$/.test(prefix)) throw new Error(`bad file prefix ${prefix}`);
    await rm(path.join(this.dir, prefix), { recursive: true, force: true });
  }
}

const stores = new Map<string, FileStore>();
/** The store of a files folder (one instance per folder). */
export function fileStore(dir: string): FileStore {
  let store = stores.get(dir);
  if (!store) stores.set(dir, (store = new LocalFileStore(dir)));
  return store;
}

export type FileSide = 'FRONT' | 'BACK' | 'SELFIE' | 'POA';

export interface StoredFile {
  id: string;
  side: FileSide;
  contentType: FileType;
  size: number;
  sha256: string;
}

const fileKey = (secretKey: string) => deriveKey(secretKey, 'kyc-files');

/**
 * Seals and stores the files, then records them (in the caller's transaction). A file already
 * written when the transaction fails stays unreferenced in the user's folder (<userId>/<fileId>)
 * until the user is deleted (`purgeUserFiles` removes the whole folder).
 */
export async function storeFiles(
  q: Queryable,
  store: FileStore,
  secretKey: string,
  owner: { partnerId: string; userId: string; kycVerificationId?: string; poaVerificationId?: string },
  files: { upload: Upload; side: FileSide; type: FileType }[],
  now: Date,
): Promise<StoredFile[]> {
  const key = fileKey(secretKey);
  const stored: StoredFile[] = [];
  for (const { upload, side, type } of files) {
    const id = newId();
    const storageKey = `${owner.userId}/${id}`;
    await store.put(storageKey, seal(key, upload.data, id));
    await q.query(
      `INSERT INTO kyc_files (id, partner_id, user_id, kyc_verification_id, poa_verification_id, side, content_type, size, sha256, storage_key, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [id, owner.partnerId, owner.userId, owner.kycVerificationId ?? null, owner.poaVerificationId ?? null, side, type, upload.size,
        upload.sha256, storageKey, now],
    );
    stored.push({ id, side, contentType: type, size: upload.size, sha256: upload.sha256 });
  }
  return stored;
}

/** A stored file's plain bytes, checked against its SHA-256. */
export async function readStoredFile(q: Queryable, store: FileStore, secretKey: string, fileId: string): Promise<Buffer> {
  const [row] = await q.query<{ storage_key: string; sha256: string }>('SELECT storage_key, sha256 FROM kyc_files WHERE id = $1', [fileId]);
  if (!row) throw new ApiError('P608');
  const plain = unseal(fileKey(secretKey), await store.get(row.storage_key), fileId);
  if (createHash('sha256').update(plain).digest('hex') !== row.sha256) throw new Error(`file ${fileId} does not match its digest`);
  return plain;
}

/**
 * Removes every file of a user from the store and the table (user deletion): each recorded object,
 * then the user's whole folder (objects a failed request wrote without a row), then the rows.
 */
export async function purgeUserFiles(q: Queryable, store: FileStore, userId: string): Promise<number> {
  const rows = await q.query<{ id: string; storage_key: string }>('SELECT id, storage_key FROM kyc_files WHERE user_id = $1', [userId]);
  for (const row of rows) await store.delete(row.storage_key);
  await store.deletePrefix(userId);
  await q.query('DELETE FROM kyc_files WHERE user_id = $1', [userId]);
  return rows.length;
}
