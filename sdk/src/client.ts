import createClient, {
  mergeHeaders, type Client, type ClientPathsWithMethod, type FetchResponse, type HeadersOptions, type MaybeOptionalInit,
} from 'openapi-fetch';
import { CentumError } from './errors.js';
import type { paths } from './generated/openapi.js';
import { pages, type PaginatedPath, type PageOf } from './pagination.js';

export interface CentumOptions {
  /** The server, e.g. `http://127.0.0.1:3000` (no trailing `/v1`: paths carry it). */
  baseUrl: string;
  /** The partner's API key, sent as `x-api-key`. */
  apiKey: string;
  /** Headers sent with every call. */
  headers?: Record<string, string>;
  /** fetch to use (globalThis.fetch by default). */
  fetch?: (input: Request) => Promise<Response>;
  /** Makes the Idempotency-Key of a POST that carries none (`crypto.randomUUID()` by default). */
  newIdempotencyKey?: () => string;
  /**
   * How many times a GET or POST is sent again, with the same Idempotency-Key, when its outcome
   * allows it: a network failure, or an answer that kept no result (CentumError.retryable: 5xx,
   * 408, 429, 409 P602). 2 by default; 0 turns retries off. PUT, PATCH and DELETE are never retried.
   */
  maxRetries?: number;
  /** Wait before the first retry in ms, doubled each time up to 8 s; a `Retry-After` header wins. 500 by default. */
  retryDelayMs?: number;
}

const RETRY_DELAY_MAX_MS = 8000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
type Media = `${string}/${string}`;
/** Paths that have an operation for this method. */
export type PathsWith<M extends Method> = ClientPathsWithMethod<Client<paths>, M>;

type RequiredKeysOf<T> = { [K in keyof T]: object extends Pick<T, K> ? never : K }[keyof T];
/** The init argument of a call (params, body, headers, signal...), typed by the operation. */
export type CallInit<P extends PathsWith<M>, M extends Method> = MaybeOptionalInit<paths[P], M>;
/** Paths whose call needs no init argument (no required parameter or body). */
export type PathsWithOptionalInit<M extends Method> = { [P in PathsWith<M>]: RequiredKeysOf<CallInit<P, M>> extends never ? P : never }[PathsWith<M>];

/** What a call resolves to: the 2xx body, typed by the operation, and the Response (headers, status). */
export type CentumResponse<R> = R extends { data: infer D; error?: never } ? { data: D; response: Response } : never;
type Answer<P extends PathsWith<M>, M extends Method, I> =
  Promise<CentumResponse<FetchResponse<Extract<paths[P][M], Record<string | number, any>>, I, Media>>>;

/**
 * A call: typed path, params and body; resolves to the 2xx answer, throws a CentumError for any
 * other. Two signatures (rather than openapi-fetch's one with a rest tuple) so that a wrong path
 * is reported as a wrong path, not as a missing argument.
 */
export interface CentumMethod<M extends Method> {
  <P extends PathsWithOptionalInit<M>, I extends CallInit<P, M>>(url: P, init?: I): Answer<P, M, I>;
  <P extends PathsWith<M>, I extends CallInit<P, M>>(url: P, init: I): Answer<P, M, I>;
}

/** The pages of a list endpoint (transaction history, webhook deliveries...), following `nextCursor`. */
export interface CentumPages {
  <P extends PaginatedPath & PathsWithOptionalInit<'get'>>(url: P, init?: CallInit<P, 'get'>): AsyncGenerator<PageOf<P>, void, undefined>;
  <P extends PaginatedPath>(url: P, init: CallInit<P, 'get'>): AsyncGenerator<PageOf<P>, void, undefined>;
}

export interface CentumClient {
  GET: CentumMethod<'get'>;
  /**
   * Every POST carries an Idempotency-Key: the one given in `headers`, else one made for this call
   * object and kept with it, so sending the same object again (a retry) sends the same key and the
   * server answers with the first result instead of doing the work twice. See README, "Idempotency".
   */
  POST: CentumMethod<'post'>;
  PUT: CentumMethod<'put'>;
  DELETE: CentumMethod<'delete'>;
  PATCH: CentumMethod<'patch'>;
  /**
   * The pages of a list endpoint with a cursor (transaction history, webhook deliveries, contacts),
   * one request per page as the loop asks for it: `for await (const page of centum.pages(path, init))`.
   */
  pages: CentumPages;
  /** The Idempotency-Key this client sent (or will send) for a POST call object, if any. */
  idempotencyKeyOf(init: object): string | undefined;
  /** The underlying openapi-fetch client (answers `{ data, error, response }`, does not throw, adds no key). */
  readonly raw: Client<paths>;
}

type AnyInit = { headers?: HeadersOptions; params?: { header?: HeadersOptions }; [key: string]: unknown };

/** Creates a typed client for every operation of the Centum contract. */
export function createCentum(options: CentumOptions): CentumClient {
  const { baseUrl, apiKey, newIdempotencyKey = () => crypto.randomUUID(), maxRetries = 2, retryDelayMs = 500 } = options;
  if (!apiKey) throw new TypeError('createCentum: apiKey is required');
  const raw = createClient<paths>({ baseUrl, fetch: options.fetch, headers: { ...options.headers, 'x-api-key': apiKey } });
  // Keys live with the caller's call object: the object is the operation, a new object a new one.
  const keys = new WeakMap<object, string>();

  function withIdempotencyKey(init: AnyInit | undefined): AnyInit {
    const given = mergeHeaders(init?.headers);
    // A key given as a header, or as the operation's documented header parameter, is the caller's.
    if (given.has('idempotency-key') || mergeHeaders(init?.params?.header).has('idempotency-key')) return init ?? {};
    let key = init ? keys.get(init) : undefined;
    if (key === undefined) {
      key = newIdempotencyKey();
      if (init) keys.set(init, key);
    }
    given.set('idempotency-key', key);
    return { ...init, headers: given };
  }

  /** Before retry `attempt` (1, 2...): the server's Retry-After, else the doubling delay. */
  function delayBefore(attempt: number, failure: unknown): number {
    const retryAfter = Number(failure instanceof CentumError ? failure.headers.get('retry-after') : undefined);
    if (Number.isFinite(retryAfter) && retryAfter >= 0) return Math.min(retryAfter * 1000, RETRY_DELAY_MAX_MS);
    return Math.min(retryDelayMs * 2 ** (attempt - 1), RETRY_DELAY_MAX_MS);
  }

  async function call(method: Uppercase<Method>, url: string, init: AnyInit | undefined) {
    // The key is fixed before the first attempt, so every retry below carries the same one.
    const sent = method === 'POST' ? withIdempotencyKey(init) : init;
    const retries = method === 'GET' || method === 'POST' ? maxRetries : 0;
    for (let attempt = 0; ; attempt += 1) {
      let failure: unknown;
      try {
        const { data, error, response } = await (raw.request as any)(method.toLowerCase(), url, sent);
        if (response.ok && error === undefined) return { data, response };
        failure = new CentumError({ status: response.status, body: error, headers: response.headers });
      } catch (thrown) {
        failure = thrown; // fetch failed: the request may or may not have reached the server
      }
      // fetch rejects with a TypeError when the network fails; an abort or a bug of ours is not retried.
      const aborted = (sent?.signal as AbortSignal | undefined)?.aborted;
      const retryable = failure instanceof CentumError ? failure.retryable : failure instanceof TypeError && !aborted;
      if (!retryable || attempt >= retries) throw failure;
      await sleep(delayBefore(attempt + 1, failure));
    }
  }

  const method = (name: Uppercase<Method>) => ((url: string, init?: AnyInit) => call(name, url, init)) as any;
  const client: CentumClient = {
    GET: method('GET'),
    POST: method('POST'),
    PUT: method('PUT'),
    DELETE: method('DELETE'),
    PATCH: method('PATCH'),
    pages: ((url: string, init?: AnyInit) => pages(client.GET as any, url, init as any)) as any,
    idempotencyKeyOf: (init) => mergeHeaders((init as AnyInit).headers, (init as AnyInit).params?.header).get('idempotency-key') ?? keys.get(init),
    raw,
  };
  return client;
}
