import { Type, type TSchema } from '@sinclair/typebox';
import { CURRENCY_CODES, findCurrency, type Currency } from './currencies.js';
import { ERRORS, validationError, type ErrorSpec } from './errors.js';

/** Shared TypeBox schemas and the request parsing helpers that go with them. */

export const ErrorBody = Type.Object(
  {
    errorCode: Type.String({ examples: ['P412'] }),
    errorName: Type.Optional(Type.String({ examples: ['invalid-user'] })),
    errorMessage: Type.String(),
    requestId: Type.Optional(Type.String({
      description: 'The request\'s id, also in the Request-Id response header: quote it when asking about a failure',
      examples: ['4f1c2a9e-8d3b-4c55-9a0e-2b7f6d1e3c44'],
    })),
  },
  { description: 'P100 error body (plus requestId, which P100 clients ignore). Validation errors (P403) carry no errorName.' },
);

export const AccessDenied = Type.Object(
  { message: Type.String({ examples: ['Access Denied. xo2'] }), requestId: Type.Optional(Type.String()) },
  { description: 'Missing (xo1) or wrong (xo2) x-api-key' },
);

/** Error responses every authenticated route may give. Spread into `response`. */
export const partnerErrors = { 400: ErrorBody, 401: AccessDenied, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody };

export const Amount = Type.Union([Type.String({ examples: ['10.50'] }), Type.Number({ examples: [10.5] })], {
  description: "Decimal amount as a string (\"12.50\": no spaces, sign, exponent or leading zeros) or a JSON number; at most the currency's scale of decimals",
});

export const CurrencySlug = Type.String({
  description: `Currency slug, any case: ${CURRENCY_CODES.join(', ')}`,
  examples: ['eur'],
});

export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time' });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
};

/** A currency from a request, in any case; P403 in P100's wording when unknown or not allowed. */
export function parseCurrency(value: string, field = 'currency', allowed: readonly string[] = CURRENCY_CODES): Currency {
  const currency = findCurrency(value);
  if (!currency || !allowed.includes(currency.code)) {
    throw validationError(`${field} must be one of the following values: ${allowed.join(', ')}`);
  }
  return currency;
}

/** Opaque list cursors: base64url of the last row's sort key. */
export const encodeCursor = (parts: (string | number)[]): string => Buffer.from(JSON.stringify(parts)).toString('base64url');

export function decodeCursor(cursor: string | undefined): (string | number)[] | undefined {
  if (!cursor) return undefined;
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts)) return parts;
  } catch {}
  throw validationError('cursor is not valid');
}

/**
 * A string enum (`{ type: 'string', enum: [...] }` in the contract) typed as the union of its values.
 * Use it for every status, currency or network field a response or body carries.
 */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string; examples?: unknown[] } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

type ErrorCode = keyof typeof ERRORS;

/**
 * The error responses of one operation: its own P-codes grouped by HTTP status, each status's
 * description listing the codes, plus what every partner route may answer (P403 validation, 401,
 * 429, P501). Spread into `response`: `response: { 200: Card, ...errorResponses('P434', 'P455') }`.
 */
export function errorResponses(...codes: ErrorCode[]): Record<number, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of ['P403', 'P603', 'P501', ...codes] as ErrorCode[]) {
    const { status } = ERRORS[code];
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  const responses: Record<number, TSchema> = { 401: AccessDenied };
  for (const [status, list] of byStatus) {
    const described = list.map((c) => { const spec: ErrorSpec = ERRORS[c]; return spec.name ? `${c} ${spec.name}` : c; }).join(', ');
    responses[status] = Type.Object(ErrorBody.properties, { description: `Error: ${described}` });
  }
  return responses;
}
