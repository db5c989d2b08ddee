import type { Client, ClientPathsWithMethod } from 'openapi-fetch';
import type { paths } from './generated/openapi.js';

type GetPath = ClientPathsWithMethod<Client<paths>, 'get'>;

/** The JSON body of a GET's 200 answer. */
export type PageOf<P extends GetPath> = paths[P]['get'] extends { responses: { 200: { content: { 'application/json': infer D } } } } ? D : never;

/**
 * List endpoints with cursor pagination: a `cursor` query parameter, and `nextCursor` (null on the
 * last page) in the answer. The cursor is opaque (base64url of the last row's sort key): pass it
 * back as it came, with the same filters.
 */
export type PaginatedPath = {
  [P in GetPath]: paths[P]['get'] extends { parameters: { query?: { cursor?: string } } }
    ? PageOf<P> extends { nextCursor: string | null } ? P : never
    : never;
}[GetPath];

/** The items of a page: the one array in it (`transactions`, `deliveries`, `contacts`...). */
export type ItemOf<P extends PaginatedPath> = {
  [K in keyof PageOf<P>]: PageOf<P>[K] extends readonly (infer T)[] ? T : never;
}[keyof PageOf<P>];

type Get = (url: string, init: { params?: { query?: Record<string, unknown>; path?: Record<string, unknown> } }) =>
  Promise<{ data: { nextCursor: string | null } }>;

/**
 * Yields each page, newest first, asking for the next one only when the loop wants it (`break`
 * stops). `limit` in the query sets the page size. Throws (rather than loops) if the server gave
 * back the cursor it was sent.
 */
export async function* pages(get: Get, url: string, init: { params?: { query?: Record<string, unknown> } } = {}) {
  let cursor = init.params?.query?.cursor as string | undefined;
  for (;;) {
    const query = { ...init.params?.query, ...(cursor === undefined ? {} : { cursor }) };
    const { data } = await get(url, { ...init, params: { ...init.params, query } });
    yield data;
    if (data.nextCursor === null || data.nextCursor === undefined) return;
    if (data.nextCursor === cursor) throw new Error(`pagination of ${url} did not advance (cursor ${cursor})`);
    cursor = data.nextCursor;
  }
}
