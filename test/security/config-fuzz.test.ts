// Config fuzzing over the real-config corpus (issue 18, proof): mutated real configs, bombs,
// deep nesting and huge files. Every case ends in a compiled config or in located config errors,
// within the compile time limit, and never in an exception's name.
//   FUZZ_RUNS=2000 npm run fuzz     (CI runs a few dozen cases per property)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileConfig, type CompileResult } from '../../src/config/index.ts';
import { DirectoryOrbSource } from '../../src/config/orbs/directory.ts';
import { COMPILE_TIMEOUT_MS } from '../../src/engine/services/compile-worker.ts';
import { ORB_DIR, PIPELINE_VALUES } from '../config/helpers.ts';
import { CONFIGS_DIR } from '../fixtures/index.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const corpusDir = CONFIGS_DIR;
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((f) => readFileSync(path.join(corpusDir, f), 'utf8'));
const orbSource = new DirectoryOrbSource(ORB_DIR);

const EXCEPTION = /\b(?:TypeError|RangeError|ReferenceError|SyntaxError|EvalError|Internal compiler error|Maximum call stack|is not a function|Cannot read properties|undefined is not|Invalid string length|out of memory)\b/;

async function check(source: string): Promise<CompileResult> {
  const t0 = performance.now();
  const r = await compileConfig(source, { pipelineValues: PIPELINE_VALUES, orbSource });
  const ms = performance.now() - t0;
  expect(ms, 'compile time').toBeLessThan(COMPILE_TIMEOUT_MS);
  for (const d of r.diagnostics) expect(d.message, 'an exception name in a diagnostic').not.toMatch(EXCEPTION);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (r.compiled === null) expect(errors.length, 'no compiled config and no error').toBeGreaterThan(0);
  // Located: a line and column, or the whole document (path '').
  for (const e of errors) if (e.path !== '') expect(e.line, `unlocated error at ${e.path}: ${e.message}`).toBeGreaterThan(0);
  return r;
}

const lineOps = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 40 }) }),
  fc.record({
    op: fc.constant('value' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      '1000000000', '-1', '1e308', '.nan', 'null', '~', '[]', '{}', '"<< parameters.x >>"', '"<< pipeline.parameters.nope >>"',
      '<< pipeline.git.branch matches /^(a+)+$/ >>', '"/^(?!main).*$/"', '&a [*a]', '*undefined_alias', '!!binary aGVsbG8=', '"\\u0000"', '"' + 'x'.repeat(5000) + '"',
    ),
  }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
);

type LineOp = typeof lineOps extends fc.Arbitrary<infer T> ? T : never;

function mutate(source: string, ops: LineOp[]): string {
  const lines = source.split('\n');
  for (const o of ops) {
    const at = o.at % Math.max(1, lines.length);
    if (o.op === 'delete') lines.splice(at, o.n);
    else if (o.op === 'duplicate') lines.splice(at, 0, ...lines.slice(at, at + o.n));
    else if (o.op === 'indent') lines[at] = o.by >= 0 ? ' '.repeat(o.by) + (lines[at] ?? '') : (lines[at] ?? '').slice(-o.by);
    else if (o.op === 'insert') lines.splice(at, 0, o.text);
    else if (o.op === 'value') {
      const line = lines[at] ?? '';
      const colon = line.indexOf(': ');
      lines[at] = colon >= 0 ? `${line.slice(0, colon + 2)}${o.text}` : `${line}${o.text}`;
    } else {
      const j = o.with % Math.max(1, lines.length);
      [lines[at], lines[j]] = [lines[j] ?? '', lines[at] ?? ''];
    }
  }
  return lines.join('\n');
}

const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };

describe('config fuzzing', () => {
  it('mutated real configs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: corpus.length - 1 }), fc.array(lineOps, { minLength: 1, maxLength: 8 }), async (i, ops) => {
        await check(mutate(corpus[i]!, ops));
      }),
      params,
    );
  });

  it('bombs: parameter doubling, alias fan-out, command recursion, matrices, parallelism', async () => {
    const bomb = fc.oneof(
      fc.integer({ min: 10, max: 60 }).map((levels) => {
        const cmds = Array.from({ length: levels }, (_, i) => {
          const next = i + 1 < levels ? `c${i + 1}: {s: "<< parameters.s >><< parameters.s >>"}` : 'run: "echo << parameters.s >>"';
          return `  c${i}:\n    parameters: {s: {type: string}}\n    steps: [{${next}}]`;
        });
        return `version: 2.1\ncommands:\n${cmds.join('\n')}\njobs: {b: {docker: [{image: x}], steps: [{c0: {s: xxxxxxxx}}]}}\nworkflows: {w: {jobs: [b]}}\n`;
      }),
      fc.integer({ min: 2, max: 12 }).map((fan) => {
        let s = `version: 2.1\na0: &a0 [${Array(fan).fill('x').join(', ')}]\n`;
        for (let i = 1; i < 9; i++) s += `a${i}: &a${i} [${Array(fan).fill(`*a${i - 1}`).join(', ')}]\n`;
        return `${s}jobs: {b: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [b]}}\n`;
      }),
      fc.integer({ min: 2, max: 20 }).map((width) => {
        const cmds = Array.from({ length: 12 }, (_, i) => `  c${i}: {steps: [${Array(width).fill(i === 11 ? 'checkout' : `c${i + 1}`).join(', ')}]}`);
        return `version: 2.1\ncommands:\n${cmds.join('\n')}\njobs: {b: {docker: [{image: x}], steps: [c0]}}\nworkflows: {w: {jobs: [b]}}\n`;
      }),
      fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 })).map(
        ([a, b]) =>
          `version: 2.1\njobs: {b: {parameters: {x: {type: integer}, y: {type: integer}}, docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [{b: {matrix: {parameters: {x: [${Array.from({ length: a }, (_, i) => i)}], y: [${Array.from({ length: b }, (_, i) => i)}]}}}}]}}\n`,
      ),
      fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 12 })).map((p) => `version: 2.1\njobs: {b: {docker: [{image: x}], parallelism: ${JSON.stringify(p)}, steps: [checkout]}}\nworkflows: {w: {jobs: [b]}}\n`),
    );
    await fc.assert(fc.asyncProperty(bomb, async (src) => void (await check(src))), params);
  });

  it('deep nesting and huge files', async () => {
    const shape = fc.oneof(
      fc.integer({ min: 100, max: 20_000 }).map((d) => `version: 2.1\nx: ${'['.repeat(d)}${']'.repeat(d)}\n`),
      fc.integer({ min: 100, max: 10_000 }).map((d) => `version: 2.1\nx: ${'{a: '.repeat(d)}1${'}'.repeat(d)}\n`),
      fc.integer({ min: 100, max: 2_000 }).map((d) => `version: 2.1\nx:\n${Array.from({ length: d }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n')}1\n`),
      fc.integer({ min: 50, max: 200 }).map((d) => `version: 2.1\njobs: {b: {docker: [{image: x}], steps: [{when: {condition: ${'{not: '.repeat(d)}true${'}'.repeat(d)}, steps: [checkout]}}]}}\nworkflows: {w: {jobs: [b]}}\n`),
      fc.integer({ min: 1, max: 3 }).map((mb) => `version: 2.1\n# ${'x'.repeat(mb * 1024 * 1024)}\n`),
      fc.integer({ min: 1000, max: 3000 }).map((n) => `version: 2.1\njobs:\n${Array.from({ length: n }, (_, i) => `  j${i}: {docker: [{image: x}], steps: [checkout]}`).join('\n')}\nworkflows: {w: {jobs: [j0]}}\n`),
    );
    await fc.assert(fc.asyncProperty(shape, async (src) => void (await check(src))), { ...params, numRuns: Math.max(6, Math.round(RUNS / 4)) });
  });
});
