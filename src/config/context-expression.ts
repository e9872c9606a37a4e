// Context expression restrictions: the small rule language CircleCI evaluates against
// pipeline values before a job may use a context, e.g.
//   pipeline.git.branch == "main" and not job.ssh.enabled and not (pipeline.config_source starts-with "api")
// Pure: a tokenizer, a precedence-climbing parser and an evaluator that fails closed.
//
// Precedence, weakest to strongest (all binary operators left associative):
//   or · and · == != · starts-with matches · >= > <= < · not ! (prefix)
// Literals: double-quoted strings (`\"` and `\\` escapes), whole integers, true/false, and
// /regex/ (only as the right operand of `matches`, circlet's extension shared with config
// filter expressions). Variables are dotted names: pipeline values (`pipeline.*`) and
// job values (`job.ssh.enabled`).
import { compileFullMatch, FullMatcher } from './index.ts';

export type ContextExprValue = string | number | boolean;

export type ContextExpr =
  | { k: 'lit'; v: ContextExprValue }
  | { k: 're'; source: string }
  | { k: 'var'; name: string }
  | { k: 'not'; e: ContextExpr }
  | { k: 'bin'; op: BinaryOp; l: ContextExpr; r: ContextExpr };

type BinaryOp = 'or' | 'and' | '==' | '!=' | 'starts-with' | 'matches' | '>=' | '>' | '<=' | '<';

/** A syntax problem, with the 0-based character position it was found at. */
export class ContextExpressionSyntaxError extends Error {
  constructor(
    readonly problem: string,
    readonly position: number,
  ) {
    super(`${problem} at position ${position}`);
  }
}

type Tok =
  | { t: 'str'; v: string; at: number }
  | { t: 'num'; v: number; at: number }
  | { t: 're'; v: string; at: number }
  | { t: 'id'; v: string; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'end'; at: number };

/** Longest expression accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 4096;

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*/y;
const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false', 'starts-with', 'matches']);

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const at = i;
    if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ContextExpressionSyntaxError('unterminated string literal', at);
        const ch = src[i]!;
        if (ch === '"') break;
        if (ch === '\\') {
          const next = src[i + 1];
          if (next !== '"' && next !== '\\') throw new ContextExpressionSyntaxError('invalid escape in string literal (only \\" and \\\\ are allowed)', i);
          s += next;
          i += 2;
          continue;
        }
        s += ch;
        i++;
      }
      toks.push({ t: 'str', v: s, at });
      i++;
      continue;
    }
    if (c === '/') {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ContextExpressionSyntaxError('unterminated regular expression', at);
        const ch = src[i]!;
        if (ch === '/') break;
        if (ch === '\\' && i + 1 < src.length) {
          s += src[i + 1] === '/' ? '/' : ch + src[i + 1];
          i += 2;
          continue;
        }
        s += ch;
        i++;
      }
      try {
        compileFullMatch(s);
      } catch {
        throw new ContextExpressionSyntaxError(`invalid regular expression /${s}/`, at);
      }
      toks.push({ t: 're', v: s, at });
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '>=' || two === '<=') {
      toks.push({ t: 'op', v: two, at });
      i += 2;
      continue;
    }
    if (c === '>' || c === '<' || c === '(' || c === ')' || c === '!') {
      toks.push({ t: 'op', v: c, at });
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /-?[0-9]+(\.[0-9]+)?/y;
      m.lastIndex = i;
      const num = m.exec(src)!;
      if (num[1]) throw new ContextExpressionSyntaxError(`numeric literals must be whole integers, got ${num[0]}`, at);
      if (/[A-Za-z_]/.test(src[i + num[0].length] ?? '')) throw new ContextExpressionSyntaxError(`invalid number ${num[0]}${src[i + num[0].length]}`, at);
      const v = Number(num[0]);
      if (!Number.isSafeInteger(v)) throw new ContextExpressionSyntaxError(`number ${num[0]} is out of range`, at);
      toks.push({ t: 'num', v, at });
      i += num[0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const id = IDENT.exec(src);
    if (id) {
      toks.push({ t: 'id', v: id[0], at });
      i += id[0].length;
      continue;
    }
    if (c === "'") throw new ContextExpressionSyntaxError('string literals use double quotes', at);
    throw new ContextExpressionSyntaxError(`unexpected character '${c}'`, at);
  }
  toks.push({ t: 'end', at: src.length });
  return toks;
}

/** Why a variable name may not be used in a restriction, or undefined when it may. */
function variableProblem(name: string): string | undefined {
  if (name.startsWith('pipeline.parameters.') || name === 'pipeline.parameters') {
    return `pipeline parameters cannot be used in expression restrictions: ${name}`;
  }
  if (name.startsWith('pipeline.trigger_parameters.') || name === 'pipeline.trigger_parameters') {
    return `pipeline.trigger_parameters values cannot be used in expression restrictions: ${name}`;
  }
  if (!/^(?:pipeline|job)\.[^.]/.test(name)) {
    return `unknown variable '${name}' (variables are pipeline values such as pipeline.git.branch, or job.ssh.enabled)`;
  }
  return undefined;
}

function describe(t: Tok): string {
  switch (t.t) {
    case 'end':
      return 'end of expression';
    case 'str':
      return `string "${t.v}"`;
    case 'num':
      return `number ${t.v}`;
    case 're':
      return `regular expression /${t.v}/`;
    default:
      return `'${t.v}'`;
  }
}

/** Parses an expression; throws ContextExpressionSyntaxError naming the first problem. */
export function parseContextExpression(src: string): ContextExpr {
  if (src.length > MAX_EXPRESSION_LENGTH) throw new ContextExpressionSyntaxError(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  const toks = tokenize(src);
  if (toks.length === 1) throw new ContextExpressionSyntaxError('expression is empty', 0);
  let pos = 0;
  const peek = (): Tok => toks[pos]!;
  const isOp = (t: Tok, ...ops: string[]): boolean => (t.t === 'op' || t.t === 'id') && ops.includes(t.v);

  const binary = (ops: BinaryOp[], next: () => ContextExpr): (() => ContextExpr) => {
    return () => {
      let l = next();
      while (isOp(peek(), ...ops)) {
        const opTok = peek() as { v: string; at: number };
        const op = opTok.v as BinaryOp;
        pos++;
        const r = next();
        if (l.k === 're' || (r.k === 're' && op !== 'matches')) {
          throw new ContextExpressionSyntaxError(`a regular expression can only be the right operand of 'matches'`, opTok.at);
        }
        if (op === 'matches' && r.k === 'lit' && typeof r.v !== 'string') {
          throw new ContextExpressionSyntaxError("the right operand of 'matches' must be a /regular expression/ or a string", opTok.at);
        }
        l = { k: 'bin', op, l, r };
      }
      return l;
    };
  };

  const primary = (): ContextExpr => {
    const t = peek();
    pos++;
    switch (t.t) {
      case 'str':
        return { k: 'lit', v: t.v };
      case 'num':
        return { k: 'lit', v: t.v };
      case 're':
        return { k: 're', source: t.v };
      case 'id': {
        if (t.v === 'true') return { k: 'lit', v: true };
        if (t.v === 'false') return { k: 'lit', v: false };
        if (KEYWORDS.has(t.v)) throw new ContextExpressionSyntaxError(`expected a value but found '${t.v}'`, t.at);
        const problem = variableProblem(t.v);
        if (problem) throw new ContextExpressionSyntaxError(problem, t.at);
        return { k: 'var', name: t.v };
      }
      case 'op':
        if (t.v === '(') {
          const e = orE();
          const close = peek();
          if (!isOp(close, ')')) throw new ContextExpressionSyntaxError(`expected ')' but found ${describe(close)}`, close.at);
          pos++;
          return e;
        }
        throw new ContextExpressionSyntaxError(`expected a value but found ${describe(t)}`, t.at);
      case 'end':
        throw new ContextExpressionSyntaxError('unexpected end of expression', t.at);
    }
  };

  const unary = (): ContextExpr => {
    if (isOp(peek(), 'not', '!')) {
      pos++;
      const e = unary();
      if (e.k === 're') throw new ContextExpressionSyntaxError(`a regular expression can only be the right operand of 'matches'`, toks[pos - 1]!.at);
      return { k: 'not', e };
    }
    return primary();
  };
  const cmpE = binary(['>=', '>', '<=', '<'], unary);
  const swE = binary(['starts-with', 'matches'], cmpE);
  const eqE = binary(['==', '!='], swE);
  const andE = binary(['and'], eqE);
  const orE = binary(['or'], andE);

  const e = orE();
  const rest = peek();
  if (rest.t !== 'end') throw new ContextExpressionSyntaxError(`unexpected ${describe(rest)}`, rest.at);
  if (e.k === 're') throw new ContextExpressionSyntaxError(`a regular expression can only be the right operand of 'matches'`, 0);
  return e;
}

/** The problem with an expression's syntax as one sentence, or undefined when it parses. */
export function contextExpressionProblem(src: string): string | undefined {
  try {
    parseContextExpression(src);
    return undefined;
  } catch (err) {
    if (err instanceof ContextExpressionSyntaxError) return err.message;
    throw err;
  }
}

/** Resolves a variable; undefined when the pipeline has no such value. */
export type ContextVariableLookup = (name: string) => ContextExprValue | undefined;

export type ContextExpressionResult = { value: boolean } | { value: false; error: string };

class EvalError extends Error {}

/** Everything but the boolean `false` counts as true (CircleCI's rule). */
function truthy(v: ContextExprValue): boolean {
  return v !== false;
}

function typeName(v: ContextExprValue | FullMatcher): string {
  return v instanceof FullMatcher ? 'regular expression' : typeof v;
}

function evaluate(e: ContextExpr, lookup: ContextVariableLookup): ContextExprValue | FullMatcher {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 're':
      return fullMatch(e.source);
    case 'var': {
      const v = lookup(e.name);
      if (v === undefined) throw new EvalError(`${e.name} has no value in this pipeline`);
      return v;
    }
    case 'not':
      return !truthy(scalar(evaluate(e.e, lookup)));
    case 'bin': {
      if (e.op === 'and') return truthy(scalar(evaluate(e.l, lookup))) && truthy(scalar(evaluate(e.r, lookup)));
      if (e.op === 'or') return truthy(scalar(evaluate(e.l, lookup))) || truthy(scalar(evaluate(e.r, lookup)));
      const l = evaluate(e.l, lookup);
      const r = evaluate(e.r, lookup);
      switch (e.op) {
        case '==':
        case '!=': {
          const same = typeof l === typeof r && l === r;
          return e.op === '==' ? same : !same;
        }
        case 'starts-with':
          if (typeof l !== 'string' || typeof r !== 'string') throw new EvalError(`starts-with needs two strings, got ${typeName(l)} and ${typeName(r)}`);
          return l.startsWith(r);
        case 'matches': {
          if (typeof l !== 'string') throw new EvalError(`matches needs a string on its left, got ${typeName(l)}`);
          const re = r instanceof FullMatcher ? r : typeof r === 'string' ? fullMatch(r) : undefined;
          if (!re) throw new EvalError(`matches needs a regular expression on its right, got ${typeName(r)}`);
          return re.test(l);
        }
        default: {
          if (typeof l !== 'number' || typeof r !== 'number') throw new EvalError(`${e.op} needs two numbers, got ${typeName(l)} and ${typeName(r)}`);
          if (e.op === '>') return l > r;
          if (e.op === '>=') return l >= r;
          if (e.op === '<') return l < r;
          return l <= r;
        }
      }
    }
  }
}

function scalar(v: ContextExprValue | FullMatcher): ContextExprValue {
  if (v instanceof FullMatcher) throw new EvalError('a regular expression is not a value');
  return v;
}

function fullMatch(source: string): FullMatcher {
  try {
    return compileFullMatch(source);
  } catch {
    throw new EvalError(`invalid regular expression /${source}/`);
  }
}

/**
 * Evaluates an expression (text or parsed). Fails closed: a syntax error, a variable without
 * a value or an operand of the wrong type makes the result false, with the reason in `error`.
 */
export function evaluateContextExpression(expression: string | ContextExpr, lookup: ContextVariableLookup): ContextExpressionResult {
  let parsed: ContextExpr;
  try {
    parsed = typeof expression === 'string' ? parseContextExpression(expression) : expression;
  } catch (err) {
    if (err instanceof ContextExpressionSyntaxError) return { value: false, error: err.message };
    throw err;
  }
  try {
    return { value: truthy(scalar(evaluate(parsed, lookup))) };
  } catch (err) {
    if (err instanceof EvalError) return { value: false, error: err.message };
    throw err;
  }
}

/**
 * A lookup over pipeline values keyed either with the `pipeline.` prefix or without it (the
 * compiler's `PipelineValues` use `git.branch`). `job.ssh.enabled` is false unless given:
 * circlet has no SSH reruns.
 */
export function pipelineValueLookup(values: Record<string, string | number | boolean>): ContextVariableLookup {
  return (name) => {
    if (Object.hasOwn(values, name)) return values[name];
    if (name.startsWith('pipeline.')) {
      const short = name.slice('pipeline.'.length);
      if (Object.hasOwn(values, short)) return values[short];
      return undefined;
    }
    if (name === 'job.ssh.enabled') return false;
    return undefined;
  };
}
