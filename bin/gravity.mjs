#!/usr/bin/env node
// Entry point of the `gravity` command: runs the compiled CLI (build with `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('gravity: not built yet, run `npm run build` (or `npm ci`) first\n');
  process.exit(2);
}
await import(main.href);
