import { ERRORS, type ErrorSpec } from './errors.js';

/** docs/errors.md, generated from the registry so the two never disagree. */
export function errorsMarkdown(): string {
  const rows = Object.entries(ERRORS).map(([code, spec]: [string, ErrorSpec]) =>
    `| ${code} | ${spec.status} | ${spec.name ?? '(none)'} | ${spec.message} | ${Number(code.slice(1)) >= 600 ? 'Centum' : 'P100'} |`,
  );
  return [
    '# Error codes',
    '',
    'Generated from `src/kernel/errors.ts` by `npm run centum -- errors-doc --out docs/errors.md`; a test checks it is current.',
    '',
    'Body: `{"errorCode","errorName","errorMessage"}`. Validation errors are `P403` with no `errorName`,',
    'every failure joined in `errorMessage`. P500 answers HTTP 400, as P100 does. P501 answers HTTP 503',
    'with `Retry-After`: the database is unreachable or a bound was hit (pool wait, lock wait, statement',
    'time); nothing was applied, and a retry with the same `Idempotency-Key` is always safe.',
    'Authentication failures are `401 {"message":"Access Denied. xo1"}` (no key) and `xo2` (wrong key).',
    '',
    '| Code | HTTP | errorName | Meaning | Source |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
