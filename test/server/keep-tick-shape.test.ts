// keep-tick-shape.ts: the tick object it keeps holds the map every later tick object is built
// with, through full collections; so V8's feedback for Node's tick literal stays monomorphic.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/child.ts';

/** Runs `code` (an ES module) in a child node with natives syntax and gc exposed; its stdout. */
function run(code: string): string {
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

const MODULE = pathToFileURL(path.join(ROOT, 'dist/server/keep-tick-shape.js')).href;

// A tick object made after three full collections, with no other tick alive, compared with the
// kept one (`%HaveSameMap` is V8's own check).
const CHECK = `
import { executionAsyncResource } from 'node:async_hooks';
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');
await new Promise((r) => setTimeout(r, 10));
for (let i = 0; i < 3; i++) globalThis.gc();
process.nextTick((_) => {
  const kept = globalThis.__circletTickShape;
  console.log(kept === undefined ? 'none kept' : sameMap(executionAsyncResource(), kept) ? 'same map' : 'new map');
}, 0);
`;

describe('keep-tick-shape', () => {
  it('keeps a tick object whose map later ticks share, after full collections', () => {
    expect(run(`import ${JSON.stringify(MODULE)};\n${CHECK}`)).toBe('same map');
  });
});
