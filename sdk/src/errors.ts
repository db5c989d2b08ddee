import { ERROR_CODES } from './generated/registry.js';

/** A P-code the server answers (src/kernel/errors.ts of the server this SDK was generated from). */
export type ErrorCode = keyof typeof ERROR_CODES;
/** The `errorName` that goes with a P-code (P403, validation, has none). */
export type ErrorName = NonNullable<(typeof ERROR_CODES)[ErrorCode]['name']>;

export { ERROR_CODES };

/** True for a string that is one of the P-codes this SDK knows. */
export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);

/**
 * A call the server answered with an error (any status outside 2xx). P100 bodies are
 * `{ errorCode, errorName?, errorMessage }`; a missing or wrong API key is 401 with `{ message }`
 * and no P-code (`errorCode` undefined), as is anything that is not a P100 body (a proxy's page).
 * A network failure is not a CentumError: fetch's own error is thrown.
 */
export class CentumError extends Error {
  override readonly name = 'CentumError';
  /** HTTP status. */
  readonly status: number;
  /** The P-code, typed as the union of the codes the server defines. Undefined when the body carries none. */
  readonly errorCode: ErrorCode | undefined;
  readonly errorName: ErrorName | undefined;
  /** The id to quote when asking about this failure: the body's `requestId` or the `Request-Id` header. */
  readonly requestId: string | undefined;
  /** The body as received (parsed JSON when it was JSON). */
  readonly body: unknown;
  /** The message the server wrote (`errorMessage`, or `message` of a 401). */
  readonly errorMessage: string;
  /** The response's headers (`retry-after` on 503 P501, `idempotent-replayed` on a replayed error). */
  readonly headers: Headers;

  constructor(options: { status: number; body: unknown; headers?: Headers }) {
    const body = options.body;
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const text = typeof fields.errorMessage === 'string' ? fields.errorMessage
      : typeof fields.message === 'string' ? fields.message
        : typeof body === 'string' && body ? body.slice(0, 200) : `HTTP ${options.status}`;
    const code = typeof fields.errorCode === 'string' ? fields.errorCode : undefined;
    super(code ? `${code}: ${text}` : text);
    this.status = options.status;
    this.errorMessage = text;
    this.body = body;
    this.headers = options.headers ?? new Headers();
    // A code this SDK does not know (a newer server) is kept as sent: regenerate the SDK to type it.
    this.errorCode = code as ErrorCode | undefined;
    this.errorName = typeof fields.errorName === 'string' ? (fields.errorName as ErrorName) : undefined;
    const header = this.headers.get('request-id') ?? undefined;
    this.requestId = typeof fields.requestId === 'string' ? fields.requestId : header;
  }


  /**
   * True when sending the same call again may succeed and cannot do the work twice: the server
   * kept no result (5xx, P501), a request with the same Idempotency-Key is still running (409
   * P602), or the rate limit answered (429). Other answers are final for their Idempotency-Key.
   */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408 || this.errorCode === 'P602';
  }
}
