#!/usr/bin/env node
// Runs circlet's built JavaScript (dist/, made by `npm run build`, which `npm install` runs).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('circlet: dist/ is missing: run `npm run build` in the circlet checkout (npm install does it)\n');
  process.exit(1);
}
await import(main.href);
