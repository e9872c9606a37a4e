// Attack: YAML that makes the parser's own errors leak out without meaning (issue 18, item 15).
// Each becomes a config error in the user's words, at the alias, anchor or nesting that caused it.
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/index.ts';

async function only(src: string) {
  const r = await compileConfig(src);
  expect(r.compiled).toBeNull();
  expect(r.diagnostics).toHaveLength(1);
  const d = r.diagnostics[0]!;
  expect(d.message).not.toMatch(/ReferenceError|RangeError|Maximum call stack|resource exhaustion attack|YAML: /);
  return d;
}

describe('YAML errors in the user’s words', () => {
  it('an alias bomb names the anchor and the alias where it blows up', async () => {
    const d = await only(`version: 2.1
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
`);
    expect(d.message).toMatch(/^The anchor &d is expanded too many times through aliases/);
    expect(d.line).toBe(6);
    expect(d.column).toBeGreaterThan(4);
  });
  it('an unresolved alias is located at the alias', async () => {
    const d = await only('version: 2.1\njobs:\n  build: *nope\n');
    expect(d).toMatchObject({ message: 'The alias *nope refers to no anchor: define &nope before the alias uses it', line: 3, column: 10 });
  });
  it('an alias used before its anchor is the same error', async () => {
    const d = await only('version: 2.1\nx: *later\ny: &later 1\n');
    expect(d).toMatchObject({ message: expect.stringContaining('*later refers to no anchor'), line: 2, column: 4 });
  });
  it('an alias inside its own anchor (a cycle) is located at the alias', async () => {
    const d = await only('version: 2.1\njobs:\n  build: &a {docker: [{image: x}], steps: [*a]}\nworkflows: {w: {jobs: [build]}}\n');
    expect(d).toMatchObject({ message: 'The alias *a is inside its own anchor &a: the value would contain itself', line: 3 });
    const m = await only('version: 2.1\nx: &a [*a]\n');
    expect(m.message).toMatch(/inside its own anchor/);
  });
  it('nesting deep enough to overflow the parser is a located nesting error', async () => {
    const d = await only(`version: 2.1\nx: ${'['.repeat(20000)}${']'.repeat(20000)}\n`);
    expect(d.message).toMatch(/nests maps and lists too deeply/);
    expect(d.line).toBe(2);
    const m = await only(`version: 2.1\nx: ${'{a: '.repeat(8000)}1${'}'.repeat(8000)}\n`);
    expect(m.message).toMatch(/nests maps and lists too deeply/);
  });
  it('nesting past 500 levels that the parser survives stops at the limit, located', async () => {
    const d = await only(`version: 2.1\nx: ${'['.repeat(700)}${']'.repeat(700)}\n`);
    expect(d.message).toBe('The YAML nests maps and lists too deeply here: at most 500 levels are allowed');
    expect(d).toMatchObject({ line: 2 });
    expect(d.column).toBeGreaterThan(400);
  });
  it('400 levels still compile far enough to report a config problem, not an exception', async () => {
    const r = await compileConfig(`version: 2.1\nx: ${'['.repeat(400)}${']'.repeat(400)}\njobs: {a: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [a]}}\n`);
    for (const d of r.diagnostics) expect(d.message).not.toMatch(/Maximum call stack|Internal compiler error/);
  });
});
