// Logic statements and expressions.
import { describe, expect, it } from 'vitest';
import { evaluateCondition } from '../../src/config/index.ts';
import { evalLogic } from '../../src/config/logic.ts';
import { parseExpr } from '../../src/config/expr.ts';
import { Diags } from '../../src/config/util.ts';

function ev(stmt: unknown): { v: boolean; errors: string[] } {
  const d = new Diags();
  const v = evalLogic(stmt, [], d);
  return { v, errors: d.items.map((i) => i.message) };
}

describe('logic statements', () => {
  it('falsy: false, null, 0, NaN, "" ; truthy: everything else including "false", lists and maps', () => {
    for (const f of [false, null, 0, NaN, '']) expect(ev(f).v).toBe(false);
    for (const t of [true, 1, 'false', 'x', [1], { a: 1 }]) expect(ev(t).v).toBe(true);
  });
  it('and / or / not', () => {
    expect(ev({ and: [true, 'x', 1] }).v).toBe(true);
    expect(ev({ and: [true, 0] }).v).toBe(false);
    expect(ev({ or: [false, ''] }).v).toBe(false);
    expect(ev({ or: [false, 'y'] }).v).toBe(true);
    expect(ev({ not: false }).v).toBe(true);
    expect(ev({ not: { and: [true, true] } }).v).toBe(false);
  });
  it('equal compares all values (type-sensitive)', () => {
    expect(ev({ equal: ['a', 'a', 'a'] }).v).toBe(true);
    expect(ev({ equal: ['a', 'b'] }).v).toBe(false);
    expect(ev({ equal: [1, '1'] }).v).toBe(false);
    expect(ev({ equal: [{ a: [1] }, { a: [1] }] }).v).toBe(true);
  });
  it('matches is a full match', () => {
    expect(ev({ matches: { pattern: 'main', value: 'main' } }).v).toBe(true);
    expect(ev({ matches: { pattern: 'mai', value: 'main' } }).v).toBe(false);
    expect(ev({ matches: { pattern: '^release/.*$', value: 'release/1' } }).v).toBe(true);
    expect(ev({ matches: { pattern: '/feat-.*/', value: 'feat-x' } }).v).toBe(true);
  });
  it('reports an empty and/or and bad matches', () => {
    expect(ev({ and: [] })).toEqual({ v: false, errors: ["Logic statement 'and' requires a non-empty list of statements"] });
    expect(ev({ or: [] }).errors).toEqual(["Logic statement 'or' requires a non-empty list of statements"]);
    expect(ev({ matches: { pattern: 'x' } }).errors).toEqual(["Logic statement 'matches' requires 'pattern' and 'value'"]);
    expect(ev({ matches: { pattern: '(', value: 'x' } }).errors).toEqual(['Invalid regular expression: (: Invalid pattern (missing closing ): `(`; patterns use RE2 syntax: no lookaround, no backreferences)']);
  });
  it('limits nesting depth to 100', () => {
    let s: unknown = true;
    for (let i = 0; i < 120; i++) s = { not: s };
    expect(ev(s).errors).toEqual(['Logic statement exceeds the maximum nesting depth of 100']);
  });
});

describe('expressions', () => {
  it('parses the operator set and rejects non-expressions', () => {
    expect(parseExpr('pipeline.git.branch == "main" and 10 or 1')).not.toBeNull();
    expect(parseExpr('not pipeline.git.tag and (pipeline.number >= 3)')).not.toBeNull();
    expect(parseExpr('pipeline.git.tag starts-with "v" or pipeline.git.branch matches /rel.*/')).not.toBeNull();
    expect(parseExpr('EOF > x')).toBeNull();
    expect(parseExpr('pipeline.git.branch ==')).toBeNull();
  });
  it('binds not tighter than and/or', () => {
    const c = (s: string): boolean => evaluateCondition(s, { pipelineValues: { 'git.branch': 'main' } }).value;
    expect(c('not pipeline.git.tag and pipeline.git.branch')).toBe(true);
    expect(c('not (pipeline.git.tag or pipeline.git.branch)')).toBe(false);
  });
});

describe('evaluateCondition (for the pipeline engine)', () => {
  it('evaluates logic statements, references and bare expressions', () => {
    expect(evaluateCondition({ equal: ['main', '<< pipeline.git.branch >>'] }, { pipelineValues: { 'git.branch': 'main' } })).toEqual({ value: true, diagnostics: [] });
    expect(evaluateCondition('<< pipeline.parameters.go >>', { pipelineParameters: { go: false } }).value).toBe(false);
    expect(evaluateCondition('pipeline.trigger_source == "scheduled_pipeline"', { pipelineValues: { trigger_source: 'webhook' } }).value).toBe(false);
  });
  it('reports undeclared parameters as diagnostics', () => {
    const r = evaluateCondition('<< pipeline.parameters.nope >>');
    expect(r.value).toBe(false);
    expect(r.diagnostics.map((d) => d.message)).toEqual(['Arguments referenced without declared parameters: pipeline.parameters.nope']);
  });
});
