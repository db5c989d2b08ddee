import { Type, type TSchema } from '@sinclair/typebox';
import { CURRENCY_CODES, findCurrency, NETWORK_CODES, type Currency } from './currencies.js';
import { ERRORS, validationError, type ErrorSpec } from './errors.js';

/** Shared TypeBox schemas and the request parsing helpers that go with them. */

export const ErrorBody = Type.Object(
  {
    errorCode: Type.String({ description: 'The P-code (docs/errors.md lists them all)', examples: ['P412'] }),
    errorName: Type.Optional(Type.String({ description: 'A stable name for the code; absent on validation errors (P403)', examples: ['invalid-user'] })),
    errorMessage: Type.String({ examples: ['User not exist'] }),
    requestId: Type.Optional(Type.String({
      description: 'The request\'s id, also in the Request-Id response header: quote it when asking about a failure',
      examples: ['4f1c2a9e-8d3b-4c55-9a0e-2b7f6d1e3c44'],
    })),
  },
  { title: 'Error', description: 'P100 error body (plus requestId, which P100 clients ignore). Validation errors (P403) carry no errorName.' },
);

export const AccessDenied = Type.Object(
  { message: Type.String({ examples: ['Access Denied. xo2'] }), requestId: Type.Optional(Type.String()) },
  { title: 'AccessDenied', description: 'Missing (xo1) or wrong (xo2) x-api-key' },
);

/**
 * The contract's name of a response's description (what comes back), when it should differ from
 * the schema's own description. @fastify/swagger reads it and removes it from the schema.
 */
export const RESPONSE_DESCRIPTION = 'x-response-description';

/**
 * A response schema with the sentence the contract shows for it ("The transfer's id"). Use it for
 * 2xx answers whose schema has no description of its own, or a shared one that does not say what
 * this operation returns.
 */
export const answer = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, [RESPONSE_DESCRIPTION]: description });

export const Amount = Type.Union([Type.String(), Type.Number()], {
  description: "Decimal amount as a string (\"12.50\": no spaces, sign, exponent or leading zeros) or a JSON number; at most the currency's scale of decimals",
  examples: ['10.50'],
});

/**
 * The keyword that marks a request field accepting the values of an enum in any case. Request
 * validation knows it (src/kernel/http/validation.ts) and ignores it; the contract shows it as a
 * plain lowercase `enum` with a note (docs/decisions.md, "API contract").
 */
export const ANY_CASE_ENUM = 'x-any-case-enum';

/**
 * A request field taking one of `values` (lowercase), also in upper or mixed case, as P100 clients
 * send them (`EUR`); the handler normalises it (parseCurrency, findNetwork). Responses use
 * StringEnum: they always answer lowercase.
 */
export const AnyCaseEnum = (values: readonly string[], options: { description?: string; examples?: unknown[] } = {}) =>
  Type.Unsafe<string>({ type: 'string', [ANY_CASE_ENUM]: [...values], ...options });

export const CurrencySlug = AnyCaseEnum(CURRENCY_CODES, { description: 'Currency slug', examples: ['eur'] });

/** A network code in a request (crypto currencies with several networks: usdc, usdt); the default network when omitted. */
export const NetworkSlug = AnyCaseEnum(NETWORK_CODES, { description: 'Network; the currency\'s default network when omitted', examples: ['polygon'] });

export const Uuid = Type.String({ format: 'uuid', examples: ['0193a5e2-7c4b-7d1e-9f20-3b8c1a2d4e5f'] });
export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-24T08:00:00.000Z'] });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Why a SEPA transfer or a crypto withdrawal failed, as the rail said it. */
export const FailureReason = Type.Object({
  description: Type.String({ examples: ['Beneficiary account closed (simulated rejection)'] }),
  status: Type.String({ description: "The rail's reason code: SEPA's ISO 20022 code (AC04, ...), or REJECTED for a crypto network", examples: ['AC04'] }),
}, { title: 'FailureReason', description: 'Why it failed' });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page' })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The previous page\'s nextCursor; omit for the first page' })),
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

/** The codes every partner route may answer besides its own: validation, rate limit, database unavailable, unexpected error. */
const COMMON_CODES: readonly ErrorCode[] = ['P403', 'P603', 'P501', 'P500'];

/**
 * The error responses of one operation: its own P-codes grouped by HTTP status, each status's
 * description listing the codes, plus what every partner route may answer (P403 validation, 401,
 * 429, P501). Spread into `response`: `response: { 200: Card, ...errorResponses('P434', 'P455') }`.
 * The bodies are the `Error` component; the description lists each code with its name and message.
 */
export function errorResponses(...codes: ErrorCode[]): Record<number, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, ...COMMON_CODES]) {
    const { status } = ERRORS[code];
    if (status < 400) continue; // P211 is a 202 answer, not an error
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  const responses: Record<number, TSchema> = {
    401: answer(AccessDenied, 'Missing (`xo1`) or wrong (`xo2`) `x-api-key`: `{"message":"Access Denied. xo2"}`'),
  };
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const described = list.map((c) => {
      const spec: ErrorSpec = ERRORS[c];
      const message = c === 'P403' ? 'the request does not match the schema (one message per problem)'
        : c === 'P500' ? 'unexpected error (the message carries the request id to quote)' : spec.message;
      return `\`${c}\`${spec.name ? ` ${spec.name}` : ''}: ${message}`;
    });
    responses[status] = answer(ErrorBody, `Error (\`errorCode\`):\n\n${described.map((d) => `- ${d}`).join('\n')}`);
  }
  return responses;
}
