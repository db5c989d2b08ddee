#!/usr/bin/env node
// `npx centum ...`: the CLI in this process (so a signal reaches the code that holds the database).
// From a clone, the TypeScript source through tsx's loader (no build step needed); without the
// source or tsx, the compiled dist/cli.js of `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli.ts', import.meta.url);
let tsx;
if (existsSync(fileURLToPath(source))) {
  try {
    tsx = await import('tsx/esm/api');
  } catch {}
}
if (tsx) {
  tsx.register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli.js', import.meta.url).href);
}
