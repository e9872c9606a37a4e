// The fast YAML path (js-yaml) against the Document path (`yaml`): the same data, key order and
// value types whenever the fast path answers, and no answer where it cannot reproduce the Document.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastParseYaml } from '../../src/config/fast-yaml.ts';
import { compileConfig } from '../../src/config/index.ts';
import { parseYaml, parseYamlDocument } from '../../src/config/parse.ts';
import { CONFIGS_DIR, ORBS_DIR } from '../fixtures/index.ts';

/** The fast path's data for `src`, checked against the Document path's; undefined when it declines. */
function both(src: string): unknown {
  const fast = fastParseYaml(src);
  const slow = parseYamlDocument(src);
  if (fast === undefined) return undefined;
  expect(slow.diagnostics).toEqual([]);
  // Deep equality with prototypes and key order (JSON text keeps the order).
  expect(isDeepStrictEqual(fast.value, slow.value)).toBe(true);
  expect(JSON.stringify(fast.value)).toBe(JSON.stringify(slow.value));
  return fast.value;
}

describe('fast YAML path', () => {
  it('reads scalars as yaml core schema with YAML 1.1 booleans does', () => {
    const v = both(
      [
        'a: yes', 'b: No', 'c: on', 'd: OFF', 'e: y', 'f: n', 'g: "yes"', 'h: True', 'i: tRue', 'j: ~', 'k: null', 'l: NULL', 'm:',
        'n: 0o17', 'o: 0x1F', 'p: 012', 'q: +12', 'r: -3', 's: 1e3', 't: .5', 'u: -.inf', 'v: .NaN', 'w: 1_000', 'x: 0b101',
        'y: 2.10', 'z: 12345678901234567890', 'aa: 2024-01-01', 'ab: 1.2.3', 'ac: 0.', 'ad: "12"', "ae: '0x1F'", 'af: -0', 'ag: 1E-2',
      ].join('\n') + '\n',
    ) as Record<string, unknown>;
    expect(v).toMatchObject({ a: true, b: false, c: true, e: 'y', h: true, i: 'tRue', j: null, m: null, n: 15, o: 31, p: 12, w: '1_000', x: '0b101' });
  });

  it('keeps boolean and null map keys as their text, numbers as numbers', () => {
    expect(both('on: 1\nno: {yes: on}\nTrue: a\nOFF: b\n~: c\nnull: d\n1.50: e\n0x10: f\n')).toEqual({
      on: 1, no: { yes: true }, True: 'a', OFF: 'b', '': 'd', '1.5': 'e', '16': 'f',
    });
  });

  it('merges like yaml: explicit keys win, earlier sources win, later duplicates overwrite in place', () => {
    both('a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nc:\n  y: 0\n  <<: [*a, *b]\n  x: 9\n  w: 1\n  w: 2\nd: {<<: *a}\n"<<": quoted\n');
    both('base: &base\n  image: node\n  env: {A: 1}\njobs:\n  one:\n    <<: *base\n    steps: [checkout]\n  two:\n    <<: *base\n    image: go\n');
    both('a: &a 1\nb: *a\nc: &c [1, 2]\nd: [*c, *c]\n__proto__: {x: 1}\ne: {__proto__: 2}\n');
  });

  it('reads block scalars, folding, escapes and flow collections alike', () => {
    both('a: |\n  one\n  two\n\nb: >-\n  folded\n  text\n\n  para\nc: "tab\\tnew\\nline \\u00e9 \\x41"\nd: \'it\'\'s\'\ne: plain\n  continued\nf: {a: 1, b: [x, {y: z}], c}\ng: |+\n  keep\n\nh: >2\n   indented\n');
    both('# comment\nlist:\n- a\n-   - b\n    - c\n- k: v\n  l: w\n- ""\n-\n');
    both('a: x\r\nb: y\r\n');
  });

  it('declines what it cannot reproduce: tags, complex keys, empty keys, nested aliases, syntax errors', () => {
    for (const src of [
      'a: !!str 1\n',
      'a: !custom x\n',
      '? [a, b]\n: c\n',
      '[a]: b\n',
      ': empty key\n',
      'a: &a {b: *x}\n',
      'x: &x 1\na: &a [*x]\nb: *a\n',
      'a: [\n',
      'a: 1\n---\nb: 2\n',
      'a: &a\n  b: 1\nc: *nope\n',
      'a: &a {x: 1}\nb: {<<: *a, <<: 2}\n',
      '\tx: 1\n',
    ]) {
      expect(fastParseYaml(src), src).toBeUndefined();
    }
  });

  it('leaves deep nesting and heavy alias use to the Document path, which applies its limits', () => {
    expect(fastParseYaml('a: '.repeat(1) + '['.repeat(450) + ']'.repeat(450) + '\n')).toBeUndefined();
    const many = 'a: &a x\n' + Array.from({ length: 6000 }, (_, i) => `k${i}: *a`).join('\n') + '\n';
    expect(fastParseYaml(many)).toBeUndefined();
    expect(parseYaml(many).diagnostics).toEqual([]);
  });

  it('locates paths lazily through the Document when a diagnostic needs a position', () => {
    const r = parseYaml('jobs:\n  build:\n    steps: [checkout]\n');
    expect(r.locate(['jobs', 'build', 'steps'])).toEqual({ line: 3, column: 12 });
  });

  it('answers with the Document path’s located syntax errors when a config it read has errors the Document path cannot locate', async () => {
    // A flow list with a line indented less than its key: js-yaml reads it, `yaml` rejects it.
    const flow = (job: string) => `version: 2.1\njobs:\n  build:\n    docker: [{image: cimg/base:current}]\n    steps: [\n    checkout,\ncheckout\n    ]\nworkflows:\n  main:\n    jobs: [${job}]\n`;
    expect(fastParseYaml(flow('build'))).not.toBeUndefined();
    expect(parseYamlDocument(flow('build')).diagnostics.length).toBeGreaterThan(0);
    // Without errors the fast path's reading stands (the Document path is never asked).
    expect((await compileConfig(flow('build'))).compiled).not.toBeNull();
    // With one (a job that does not exist), the answer is the Document path's: located syntax errors.
    const r = await compileConfig(flow('nope'));
    expect(r.compiled).toBeNull();
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) {
      expect(d.message).toMatch(/^YAML syntax error/);
      expect(d.line).toBeGreaterThan(0);
    }
  });

  it('agrees with the Document path on every fixture config and orb it answers for', () => {
    const files = [
      ...readdirSync(CONFIGS_DIR).map((f) => path.join(CONFIGS_DIR, f)),
      ...readdirSync(ORBS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((d) => readdirSync(path.join(ORBS_DIR, d.name)).map((f) => path.join(ORBS_DIR, d.name, f))),
    ].filter((f) => f.endsWith('.yml'));
    let answered = 0;
    for (const f of files) if (both(readFileSync(f, 'utf8')) !== undefined) answered++;
    // Most real configs take the fast path (those with aliases inside anchors do not).
    expect(answered).toBeGreaterThan(files.length * 0.8);
  });
});
