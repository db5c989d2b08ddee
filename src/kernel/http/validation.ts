import type { FastifyInstance, FastifySchema } from 'fastify';
import AjvCompiler from '@fastify/ajv-compiler';
import { ANY_CASE_ENUM } from '../schemas.js';

/** Plain spellings only: an optional "-", digits without leading zeros, a fraction for a number; "true", "false". */
const TEXT_TO_VALUE: Record<'integer' | 'number' | 'boolean', (text: string) => unknown> = {
  integer: (text) => (/^-?(0|[1-9]\d*)$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text),
  number: (text) => (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(text) ? Number(text) : text),
  boolean: (text) => (text === 'true' ? true : text === 'false' ? false : text),
};

type ScalarType = keyof typeof TEXT_TO_VALUE;

/** The properties of an object schema that are typed integer, number or boolean. */
function scalarProperties(schema: FastifySchema): [string, ScalarType][] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.entries(properties).flatMap(([name, property]) =>
    typeof property.type === 'string' && Object.hasOwn(TEXT_TO_VALUE, property.type) ? [[name, property.type as ScalarType]] : [],
  );
}

/**
 * Request validation without Ajv's type coercion. A JSON body is checked as sent: a number is not
 * a string, a boolean not a number, an array not a scalar (Ajv's coercion turned `["1"]` into "1",
 * `true` into 1 and "1e400" into Infinity). Querystring, path parameters and headers are text, so
 * a property typed integer, number or boolean is converted first, from its plain spelling only
 * ("20", "-1", "0.5", "true"); anything else ("Infinity", "1e400", "0x10", "1.5" for an integer)
 * stays text and fails its type check: P403.
 */
export function registerStrictValidation(app: FastifyInstance): void {
  // ANY_CASE_ENUM documents a field's values for the contract; the handler checks them (any case).
  const compile = AjvCompiler()({}, { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false, keywords: [ANY_CASE_ENUM] } });
  app.setValidatorCompiler((route) => {
    const validate = compile(route);
    if (route.httpPart === 'body') return validate;
    const scalars = scalarProperties(route.schema);
    if (scalars.length === 0) return validate;
    const validateText = (data: unknown) => {
      if (data && typeof data === 'object') {
        const values = data as Record<string, unknown>;
        for (const [name, type] of scalars) {
          if (typeof values[name] === 'string') values[name] = TEXT_TO_VALUE[type](values[name] as string);
        }
      }
      const valid = validate(data) as boolean; // no schema here is $async
      validateText.errors = validate.errors;
      return valid;
    };
    validateText.errors = validate.errors;
    return validateText;
  });
}
