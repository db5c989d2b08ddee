import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { expect, it } from 'vitest';

/**
 * `npm test` lints too (eslint.config.js): typescript-eslint's recommended rules, the module
 * boundary (a sibling module only through its index.ts), no import cycles and the line length.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

it('eslint src test bench sdk reports no errors', async () => {
  const results = await new ESLint({ cwd: ROOT }).lintFiles(['src', 'test', 'bench', 'sdk']);
  const errors = results.flatMap((r) =>
    r.messages.filter((m) => m.severity === 2).map((m) => `${path.relative(ROOT, r.filePath)}:${m.line}:${m.column} ${m.message} (${m.ruleId})`));
  expect(errors).toEqual([]);
}, 120_000);
