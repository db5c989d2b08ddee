import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODULES } from '../../src/modules/index.js';
import { jobHandlers } from '../../src/platform/module.js';

/**
 * The module list is the whole of how Centum is put together: every module folder is in it, every
 * job kind has its handler in a worker built from it, modules reach each other only through index.ts,
 * and no two files import each other (type-only imports included, which import-x/no-cycle skips).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = path.join(ROOT, 'src');
const MODULES_DIR = path.join(SRC, 'modules');

const tsFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return tsFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
const SOURCES = new Map(tsFiles(SRC).map((file) => [file, readFileSync(file, 'utf8')]));
const rel = (file: string) => path.relative(ROOT, file);

/** Relative imports and re-exports of a file (`import type` too), as resolved .ts paths. */
function importsOf(file: string): { names: string; target: string }[] {
  const text = SOURCES.get(file)!;
  const found: { names: string; target: string }[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?:type\s+)?([^'";]*?)\s*from\s+'(\.{1,2}\/[^']+)'/gms)) {
    found.push({ names: m[1], target: path.resolve(path.dirname(file), m[2]).replace(/\.js$/, '.ts') });
  }
  for (const m of text.matchAll(/^import\s+'(\.{1,2}\/[^']+)'/gm)) {
    found.push({ names: '', target: path.resolve(path.dirname(file), m[1]).replace(/\.js$/, '.ts') });
  }
  return found;
}

/** The module folder a file belongs to, if any. */
const moduleOf = (file: string): string | undefined => {
  const inside = path.relative(MODULES_DIR, file);
  return inside.startsWith('..') || !inside.includes(path.sep) ? undefined : inside.split(path.sep)[0];
};

/** The string value of a job-kind identifier used in `file`: a constant there, or one it imports (through an index too). */
function resolveConstant(file: string, name: string, depth = 0): string | undefined {
  const text = SOURCES.get(file)!;
  const local = new RegExp(`const\\s+${name}\\s*=\\s*'([^']+)'`).exec(text);
  if (local) return local[1];
  if (depth > 3) return undefined;
  for (const { names, target } of importsOf(file)) {
    const specifiers = names.replace(/[{}]/g, '').split(',').map((s) => s.trim().replace(/^type\s+/, '').split(/\s+as\s+/));
    const specifier = specifiers.find((parts) => (parts[1] ?? parts[0]) === name);
    if (specifier && SOURCES.has(target)) return resolveConstant(target, specifier[0], depth + 1);
  }
  return undefined;
}

describe('the module list', () => {
  it('has every folder of src/modules, each declared by its index.ts, once', async () => {
    const folders = readdirSync(MODULES_DIR).filter((name) => statSync(path.join(MODULES_DIR, name)).isDirectory()).sort();
    for (const folder of folders) expect(existsSync(path.join(MODULES_DIR, folder, 'index.ts')), `${folder}/index.ts`).toBe(true);
    expect(MODULES.map((m) => m.name).sort()).toEqual(folders);
    for (const folder of folders) {
      const exported = Object.values(await import(path.join(MODULES_DIR, folder, 'index.ts')));
      expect(exported, `${folder}/index.ts exports its module`).toContain(MODULES.find((m) => m.name === folder));
    }
  });

  it('gives a worker built from it a handler for every job kind a module declares, and no kind twice', () => {
    const handlers = jobHandlers(MODULES);
    const declared = MODULES.flatMap((m) => Object.entries(m.jobs ?? {}));
    expect(declared.length).toBeGreaterThan(0);
    for (const [kind, handler] of declared) expect(handlers.get(kind), kind).toBe(handler);
    expect(handlers.size).toBe(declared.length);
    expect(() => jobHandlers([...MODULES, { name: 'again', jobs: { [declared[0][0]]: declared[0][1] } }])).toThrow(/declared twice/);
  });

  it('declares every job kind that src enqueues or names', () => {
    const declared = new Set(jobHandlers(MODULES).keys());
    const used: { where: string; kind: string | undefined }[] = [];
    for (const [file, text] of SOURCES) {
      if (file === path.join(SRC, 'jobs/queue.ts')) continue;
      for (const m of text.matchAll(/enqueueJob\(\s*\w+,\s*\{\s*kind:\s*('([^']+)'|\w+)/g)) {
        used.push({ where: `${rel(file)}: ${m[0]}`, kind: m[2] ?? resolveConstant(file, m[1]) });
      }
      // Every call names its kind first (`enqueueJob(q, { kind: ... })`), so the scan above sees them all.
      const calls = text.match(/enqueueJob\(/g)?.length ?? 0;
      expect(used.filter((u) => u.where.startsWith(`${rel(file)}:`)).length, `${rel(file)}: enqueueJob(q, { kind: ... })`).toBe(calls);
      // Job kinds named as constants (the outbox queues webhook attempts in SQL).
      for (const m of text.matchAll(/const\s+(\w+_JOB)\s*=\s*'([^']+)'/g)) used.push({ where: `${rel(file)}: ${m[1]}`, kind: m[2] });
    }
    expect(used.length).toBeGreaterThan(8);
    const undeclared = used.filter((u) => !u.kind || !declared.has(u.kind));
    expect(undeclared).toEqual([]);
  });
});

describe('imports', () => {
  it('reach a sibling module through its index.ts only', () => {
    const offending: string[] = [];
    for (const file of SOURCES.keys()) {
      const own = moduleOf(file);
      for (const { target } of importsOf(file)) {
        const other = moduleOf(target);
        if (other === undefined || other === own) continue;
        if (target !== path.join(MODULES_DIR, other, 'index.ts')) offending.push(`${rel(file)} -> ${rel(target)}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('form no cycle between files, type-only imports included', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(file)), file].map(rel).join(' -> '));
        return;
      }
      state.set(file, 'open');
      stack.push(file);
      for (const { target } of importsOf(file)) if (SOURCES.has(target)) visit(target);
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of SOURCES.keys()) visit(file);
    expect(cycles).toEqual([]);
  });
});
