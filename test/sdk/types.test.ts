import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../sdk/scripts/generate.js';

/**
 * Type tests of the SDK (sdk/type-tests/README.md): the TypeScript compiler, with the options of
 * sdk/tsconfig.json, on files that must compile and on files that must fail where, and for the
 * reason, their `// error: TSnnnn text` comments say.
 */
const DIR = path.join(ROOT, 'sdk/type-tests');
const files = (kind: 'pass' | 'fail') => readdirSync(path.join(DIR, kind)).filter((f) => f.endsWith('.ts')).map((f) => path.join(DIR, kind, f));

function compile(fileNames: string[]): readonly ts.Diagnostic[] {
  const configPath = path.join(ROOT, 'sdk/tsconfig.json');
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, path.dirname(configPath));
  const program = ts.createProgram(fileNames, { ...parsed.options, noEmit: true });
  return ts.getPreEmitDiagnostics(program);
}

interface Found { file: string; line: number; code: string; text: string }
const found = (diagnostics: readonly ts.Diagnostic[]): Found[] => diagnostics.map((d) => ({
  file: d.file ? path.relative(DIR, d.file.fileName) : '(options)',
  line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
  code: `TS${d.code}`,
  text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
}));

/** `// error: TS2769 some text` expects that error on the next line. */
function expectations(file: string): { line: number; code: string; text: string }[] {
  return readFileSync(file, 'utf8').split('\n').flatMap((source, index) => {
    const match = /^\s*\/\/ error: (TS\d+) (.+)$/.exec(source);
    return match ? [{ line: index + 2, code: match[1]!, text: match[2]! }] : [];
  });
}

// One program for all the files: the generated types are checked once.
const all = found(compile([...files('pass'), ...files('fail')]));

describe('SDK type tests', () => {
  it.each(files('pass').map((f) => path.relative(DIR, f)))('%s compiles', (file) => {
    expect(all.filter((d) => d.file === file)).toEqual([]);
  });

  it.each(files('fail').map((f) => path.relative(DIR, f)))('%s fails where and as it says', (file) => {
    const expected = expectations(path.join(DIR, file));
    expect(expected.length, 'a must-fail file marks its errors').toBeGreaterThan(0);
    const got = all.filter((d) => d.file === file);
    for (const e of expected) {
      const atLine = got.filter((d) => d.line === e.line);
      expect(atLine.map((d) => d.code), `${file}:${e.line} should fail with ${e.code} (${e.text})`).toContain(e.code);
      expect(atLine.some((d) => d.code === e.code && d.text.includes(e.text)), `${file}:${e.line}: ${atLine.map((d) => d.text).join(' | ')}`).toBe(true);
    }
    const unexpected = got.filter((d) => !expected.some((e) => e.line === d.line));
    expect(unexpected, 'errors on lines not marked').toEqual([]);
  });
});
