// Rendering: the direct YAML writer must give exactly what `yaml`'s stringify gives for the same data.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readCompiled } from '../../src/config/read-compiled.ts';
import { renderCompiled, renderYaml } from '../../src/config/render.ts';

const OPTIONS = { version: '1.1', lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false } as const;
const same = (v: unknown): void => expect(renderYaml(v)).toBe(stringify(v, OPTIONS));

/** Strings that exercise every quoting and block-scalar decision of `yaml`. */
const ATOMS = [
  '', ' ', '\n', '\n\n', '\t', '#', ': ', ':', '-', '- ', '?', '---', '...', '%', '@', '`', '"', "'", '\\', '{', '[', ',', '&a', '*a', '!',
  '|', '>', 'yes', 'no', 'on', 'OFF', 'y', 'N', 'true', 'null', '~', '1', '0x1F', '012', '1_000', '1:20', '1.5', '.inf', '.nan', '2001-12-14',
  '1e3', 'a', 'x y', 'é', '\u0007', '\u0085', '\u2028', '\ud800', '<<', '$HOME', 'a\nb', ' a', 'a ', 'a\n', '\na', ' \n', 'a \nb', 'a\n b',
  '\r\n', '--- x', 'a\n---\nb', 'x\n  y\n', 'k'.repeat(1030),
];

describe('renderYaml', () => {
  it('writes compiled-config shapes like stringify', () => {
    same({
      version: 2,
      jobs: {
        build: {
          docker: [{ image: 'cimg/node:20.1', auth: { username: '$U', password: '$P' } }],
          environment: [{ A: '1' }, { B: 'yes' }, { C: '' }],
          steps: ['checkout', { run: { name: 'Build', command: 'npm ci\nnpm run build\n' } }, { save_cache: { key: 'v1-{{ .Branch }}', paths: ['~/.npm'] } }],
          parallelism: 4,
        },
      },
      workflows: { version: 2, ci: { jobs: ['build', { deploy: { requires: ['build'], filters: { branches: { only: ['main', '/release\\/.*/'] } } } }] } },
    });
  });
  it('writes empty and nested collections, null and undefined like stringify', () => {
    same({ a: {}, b: [], c: [[], {}, [1, [2, []]], { d: null }], e: null, f: undefined, g: { h: undefined }, i: [undefined, null], j: [{ k: [] }] });
    same({});
    same({ only: undefined });
  });
  it('writes numbers and booleans like stringify', () => {
    same({ a: 0, b: -0, c: 1.5, d: 1e21, e: NaN, f: -Infinity, g: true, h: false, i: 3.0, j: -7 });
  });
  it('writes the merge key `<<` (key or value) plain, like stringify', () => {
    same({ '<<': { a: '<<' }, b: ['<<', '<< x'] });
  });
  it('quotes and blocks every kind of string like stringify, as keys and as values at every depth', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const str = (): string => Array.from({ length: 1 + rnd(3) }, () => ATOMS[rnd(ATOMS.length)]).join('');
    const value = (depth: number): unknown => {
      switch (rnd(depth > 2 ? 3 : 5)) {
        case 0:
        case 1:
          return str();
        case 2:
          return [null, 1, true][rnd(3)];
        case 3:
          return Object.fromEntries(Array.from({ length: rnd(3) }, () => [str(), value(depth + 1)]));
        default:
          return Array.from({ length: rnd(3) }, () => value(depth + 1));
      }
    };
    for (let i = 0; i < 1500; i++) same(Object.fromEntries(Array.from({ length: 1 + rnd(3) }, () => [str(), value(0)])));
  });
  it('falls back to stringify for what it does not write itself', () => {
    same({ a: new Date(0), b: 1 });
    same({ a: 10n });
    same({ ['k'.repeat(1100)]: 1 });
    same(Object.assign(Object.create(null) as object, { a: { b: 'c' } }));
  });
  it('prefixes the orb header comments', () => {
    expect(renderCompiled(readCompiled({ version: 2 }), [{ ref: 'circleci/node@5', resolved: 'circleci/node@5.3.0' }])).toBe(
      "# Orb 'circleci/node@5' resolved to 'circleci/node@5.3.0'\nversion: 2\n",
    );
  });
});
