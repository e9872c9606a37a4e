#!/usr/bin/env node
// Builds circlet into dist/: the TypeScript sources through tsc (tsconfig.build.json, which
// rewrites the `.ts` import specifiers to `.js`), then the files that are not TypeScript,
// then `circlet run` as one file (scripts/bundle-run.mjs), then the dashboard (web/, through
// Vite) into dist/web.
//   node scripts/build.mjs        (npm run build; npm install runs it as `prepare`)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });

/** Every file under src/ that is not TypeScript is copied beside the compiled code. */
function copyAssets(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(from);
    else if (!entry.name.endsWith('.ts')) {
      const to = path.join(root, 'dist', path.relative(path.join(root, 'src'), from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    }
  }
}
copyAssets(path.join(root, 'src'));
// The build info of an incremental build lets the next one skip unchanged files; its mtime
// tells the test set-up whether dist/ is older than the sources.
fs.utimesSync(path.join(root, 'dist', '.tsbuildinfo'), new Date(), new Date());

// `circlet run` as one CommonJS file (src/cli/run-bundle.ts loads it with V8's code cache):
// loading some 860 modules one by one is most of a local run's start-up on Node 20.
await (await import('./bundle-run.mjs')).bundleRun(root);

// The dashboard. Vite is a dev dependency: an install without them (`--omit=dev`) keeps the
// dist/web it was shipped with.
// Always a production bundle, also when run from a test set-up that has NODE_ENV=test.
process.env.NODE_ENV = 'production';
let vite;
try {
  vite = await import('vite');
} catch {
  console.warn('circlet build: vite is not installed; the dashboard (dist/web) was not rebuilt');
}
if (vite) await vite.build({ configFile: path.join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
