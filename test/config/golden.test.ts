// Golden pairs from CircleCI's own compiler: `x.yml` compiles to `x.compiled.yml` (compared as data).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPILE_DIR } from '../fixtures/index.ts';
import { compile } from './helpers.ts';

const dir = COMPILE_DIR;
const inputs = readdirSync(dir).filter((f) => f.endsWith('.yml') && !f.endsWith('.compiled.yml')).sort();

describe('golden compile pairs', () => {
  it('finds the pairs', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(10);
  });
  for (const f of inputs) {
    it(f, async () => {
      const r = await compile(readFileSync(path.join(dir, f), 'utf8'));
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const want = parse(readFileSync(path.join(dir, f.replace(/\.yml$/, '.compiled.yml')), 'utf8'));
      // toEqual ignores key order, so `jobs:` order does not matter; header comments are not data.
      expect(r.compiled).toEqual(want);
      // The rendered YAML reads back as the same data.
      expect(parse(r.compiledYaml ?? '')).toEqual(want);
    });
  }
});
