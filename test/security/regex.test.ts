// Attack: a backtracking pattern freezes the process that evaluates it (issue 18, item 2).
// Every user regex — `matches` in when/unless, `/…/` branch and tag filters, expression
// `matches`, context restrictions — uses RE2 (linear time, Go's syntax).
import { describe, expect, it } from 'vitest';
import { evaluateCondition, isFilteredIn } from '../../src/config/index.ts';
import { parseContextExpression, evaluateContextExpression } from '../../src/config/context-expression.ts';
import { compile, messages } from '../config/helpers.ts';

const evil = `${'a'.repeat(5000)}!`;

function fast<T>(f: () => T): T {
  const t0 = performance.now();
  const v = f();
  expect(performance.now() - t0).toBeLessThan(1000);
  return v;
}

describe('RE2 semantics for user regexes', () => {
  it('^(a+)+$ against aaaa…a! returns at once in a when/unless matches', () => {
    const r = fast(() => evaluateCondition({ matches: { pattern: '^(a+)+$', value: evil } }, {}));
    expect(r.value).toBe(false);
  });
  it('a branch filter /^(a+)+$/ against a branch aaaa…a! returns at once', () => {
    expect(fast(() => isFilteredIn({ branches: { only: '/^(a+)+$/' } }, { branch: evil }))).toBe(false);
    expect(fast(() => isFilteredIn({ tags: { only: '/(a|aa)+$/' } }, { tag: evil }))).toBe(false);
    expect(fast(() => isFilteredIn(`pipeline.git.branch matches /^(a+)+$/`, { branch: evil }))).toBe(false);
  });
  it('a whole compile with the bomb in a workflow when stays fast', async () => {
    const src = `version: 2.1
jobs: {a: {docker: [{image: x}], steps: [checkout]}}
workflows:
  w:
    when: {matches: {pattern: "^(a+)+$", value: "${evil}"}}
    jobs: [a]
  v:
    jobs: [a]
`;
    const t0 = performance.now();
    const r = await compile(src);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.compiled).not.toBeNull();
  });
  it('Go flags work: (?i) and (?s)', () => {
    expect(evaluateCondition({ matches: { pattern: '(?i)main', value: 'MAIN' } }, {}).value).toBe(true);
    expect(evaluateCondition({ matches: { pattern: '(?s)a.b', value: 'a\nb' } }, {}).value).toBe(true);
    expect(isFilteredIn({ branches: { only: '/(?i)release-.*/' } }, { branch: 'RELEASE-1' })).toBe(true);
    expect(evaluateCondition({ matches: { pattern: '[[:digit:]]+', value: '123' } }, {}).value).toBe(true);
  });
  it('lookahead, lookbehind and backreferences are config errors naming the pattern', async () => {
    for (const pattern of ['^(?!main).*$', '(?<=a)b', '(a)\\1']) {
      const r = evaluateCondition({ matches: { pattern, value: 'x' } }, {});
      expect(r.value).toBe(false);
      expect(r.diagnostics.map((d) => d.message).join('\n')).toContain(`Invalid regular expression: ${pattern}: Invalid pattern`);
    }
    const src = `version: 2.1
jobs: {a: {docker: [{image: x}], steps: [checkout]}}
workflows: {w: {jobs: [{a: {filters: {branches: {only: '/^(?!main).*$/'}}}}]}}
`;
    const r = await compile(src);
    expect(r.compiled).toBeNull();
    const e = r.diagnostics.find((d) => d.severity === 'error')!;
    expect(e.message).toContain('Invalid regular expression: ^(?!main).*$');
    expect(e.path).toBe('workflows.w.jobs[0].a.filters.branches.only');
    expect(e.line).toBe(3);
    expect(messages(r)).toHaveLength(1);
  });
  it('context restrictions use RE2 too', () => {
    const e = parseContextExpression('pipeline.git.branch matches /^(a+)+$/');
    expect(fast(() => evaluateContextExpression(e, (n) => (n === "pipeline.git.branch" ? evil : undefined)))).toEqual({ value: false });
    expect(() => parseContextExpression('pipeline.git.branch matches /(?=x)/')).toThrow(/invalid regular expression/);
  });
});
