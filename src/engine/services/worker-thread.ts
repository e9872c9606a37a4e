// Starts a worker thread on a sibling entry file: `.js` when running built output from dist/,
// `.ts` when running the sources (vitest, tsx), in which case the worker first registers
// tsx's loader. Used by the compile workers and the embedded agent (server/embedded-agent.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

// Under TS sources the worker is started from this script: register tsx, then import the entry.
// A failure to boot is posted as `{ t: 'boot-failed', message }`.
const BOOT = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const { register } = await import(workerData.tsx);
  register();
  await import(workerData.entry);
})().catch((err) => parentPort.postMessage({ t: 'boot-failed', message: String(err && err.stack || err) }));
`;

/**
 * URL of tsx's ESM API (`tsx/esm/api`, import condition). require.resolve can only give the
 * require condition's file (`index.cjs`); the import condition's `index.mjs` sits beside it.
 */
function tsxEsmApi(): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const mjs = cjs.replace(/\.cjs$/, '.mjs');
  return pathToFileURL(existsSync(mjs) ? mjs : cjs).href;
}

/**
 * A worker running `<name>.js` (or `.ts`) beside the module whose `import.meta.url` is `from`.
 * `workerData` reaches the entry as `workerData.data`.
 */
export function startWorkerThread(from: string, name: string, options: Omit<WorkerOptions, 'eval' | 'workerData'> & { data?: unknown } = {}): Worker {
  const here = fileURLToPath(from);
  const ts = path.extname(here) === '.ts';
  const file = path.join(path.dirname(here), `${name}${ts ? '.ts' : '.js'}`);
  const { data, ...rest } = options;
  return ts
    ? new Worker(BOOT, { ...rest, eval: true, workerData: { tsx: tsxEsmApi(), entry: pathToFileURL(file).href, data } })
    : new Worker(file, { ...rest, workerData: { data } });
}
