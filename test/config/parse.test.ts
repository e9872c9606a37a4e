// YAML parsing: YAML 1.1 booleans, anchors/aliases, merge keys, locator, syntax errors.
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { formatPath, parseYaml } from '../../src/config/parse.ts';
import { compile, compiled, yml } from './helpers.ts';

describe('parseYaml', () => {
  it('reads YAML 1.1 booleans (yes/no/on/off) but keeps y/n as strings', () => {
    const r = parseYaml('a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: "yes"\n');
    expect(r.value).toEqual({ a: true, b: false, c: true, d: false, e: 'y', f: 'n', g: 'yes' });
  });
  it('keeps map keys as written (`on:` is a name, not a boolean)', () => {
    expect(parseYaml('on: 1\nno: {yes: on}\n').value).toEqual({ on: 1, no: { yes: true } });
  });
  it('reads version: 2.1 as a number and leaves dates as strings', () => {
    expect(parseYaml('version: 2.1\nd: 2024-01-01\n').value).toEqual({ version: 2.1, d: '2024-01-01' });
  });
  it('resolves anchors, aliases and merge keys', () => {
    const r = parseYaml('x: &x {a: 1, b: 2}\ny:\n  <<: *x\n  b: 3\nz: *x\n');
    expect(r.value).toEqual({ x: { a: 1, b: 2 }, y: { a: 1, b: 3 }, z: { a: 1, b: 2 } });
  });
  it('accepts many aliases', () => {
    const src = 'a: &a [1]\n' + Array.from({ length: 500 }, (_, i) => `k${i}: *a`).join('\n');
    expect(parseYaml(src).diagnostics).toEqual([]);
  });
  it('stops alias bombs with a diagnostic', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
    const r = parseYaml(levels.join('\n') + '\n');
    expect(r.value).toBeNull();
    expect(r.diagnostics[0].message).toMatch(/alias/i);
  });
  it('converts like yaml toJS: shared aliases, merge order, odd keys, the same alias limit', () => {
    const ref = (src: string): unknown => {
      try {
        const doc = parseDocument(src, { schema: 'core', merge: true, uniqueKeys: false });
        return doc.errors.length > 0 ? 'syntax' : doc.toJS({ maxAliasCount: 10_000 });
      } catch {
        return 'error';
      }
    };
    const ours = (src: string): unknown => {
      const r = parseYaml(src);
      return r.diagnostics.length > 0 ? (r.diagnostics[0].message.startsWith('YAML syntax') ? 'syntax' : 'error') : r.value;
    };
    const reuse = (n: number): string => {
      let s = 'b: &b {v: 1}\n';
      for (let i = 0; i < n; i++) s += `u${i}: *b\n`;
      s += 'a: &a {x: *b}\n';
      for (let i = 0; i < n; i++) s += `w${i}: *a\n`;
      return s;
    };
    const cases = [
      'a: &a {x: 1}\nb: &b {y: 2, x: 3}\nc: {<<: [*a, *b], z: 1}\nd: {x: 0, <<: [*b, *a]}\n',
      'x: &x {a: &y {b: 1}, c: *y}\nz: {<<: *x}\nw: *y\nv: {<<: *y}\n',
      'a: &a\n  <<: {m: 1}\n  n: 2\nb:\n  <<: *a\n',
      "'<<': {a: 1}\nb: {<<: 5}\n",
      'a: 1\n1: one\nnull: n\n~: t\n0x10: hex\n__proto__: p\ntoString: ts\n',
      'seq:\n  - &i {a: 1}\n  - *i\n  - <<: *i\n    b: 2\n',
      reuse(50),
      reuse(100),
    ];
    for (const src of cases) expect(ours(src)).toEqual(ref(src));
    const shared = parseYaml('a: &a {x: [1]}\nb: *a\n').value as Record<string, unknown>;
    expect(shared.b).toBe(shared.a);
    expect(parseYaml(reuse(100)).diagnostics[0].message).toMatch(/^The anchor &a is expanded too many times through aliases/);
    expect(parseYaml("a: &a 1\nb: {<<: *a}\n").diagnostics[0].message).toBe('YAML: Merge sources must be maps or map aliases');
  });
  it('locates paths (1-based line/column), through aliases', () => {
    const r = parseYaml('jobs:\n  build:\n    steps:\n      - checkout\n      - run: make\n');
    expect(r.locate(['jobs', 'build', 'steps', 1, 'run'])).toEqual({ line: 5, column: 14 });
    expect(r.locate(['jobs', 'build', 'nope'])).toEqual({ line: 3, column: 5 });
  });
  it('reports syntax errors with a position instead of throwing', () => {
    const r = parseYaml('a: [1, 2\nb: c: d\n');
    expect(r.value).toBeNull();
    expect(r.diagnostics[0].severity).toBe('error');
    expect(r.diagnostics[0].message).toMatch(/YAML syntax error/);
    expect(r.diagnostics[0].line).toBeGreaterThan(0);
  });
  it('formats paths', () => {
    expect(formatPath(['jobs', 'build', 'steps', 2, 'run'])).toBe('jobs.build.steps[2].run');
  });
});

describe('anchors in configs', () => {
  it('drops unknown top-level anchor holders from the output', async () => {
    const c = await compiled(yml`
      version: 2.1
      references:
        img: &img cimg/base:current
      x-steps: &steps [checkout]
      jobs:
        a:
          docker: [{image: *img}]
          steps: *steps
      workflows:
        w: {jobs: [a]}
    `);
    expect(Object.keys(c)).toEqual(['version', 'jobs', 'workflows']);
    expect(c.jobs.a).toEqual({ docker: [{ image: 'cimg/base:current' }], steps: ['checkout'] });
  });
  it('reports YAML syntax errors as diagnostics from compileConfig', async () => {
    const r = await compile('version: 2.1\njobs: [\n');
    expect(r.compiled).toBeNull();
    expect(r.diagnostics[0].message).toMatch(/YAML/);
  });
});
