// Vitest global set-up: the CLI tests run the real program (bin/circlet.js → dist/), so dist/
// (with the dashboard, dist/web) is rebuilt first whenever a source file is newer than the last build.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const info = path.join(ROOT, 'dist', '.tsbuildinfo');
  const built = fs.existsSync(info) ? fs.statSync(info).mtimeMs : 0;
  const sources = Math.max(newestMtime(path.join(ROOT, 'src')), newestMtime(path.join(ROOT, 'web')), fs.statSync(path.join(ROOT, 'tsconfig.build.json')).mtimeMs);
  if (sources > built) execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: ROOT });
}
