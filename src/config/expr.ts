// CircleCI expressions: `pipeline.git.branch == "main" and 10 or 1`, `x starts-with "v"`, `x matches /re/`.
// Pure tokenizer, recursive-descent parser and evaluator. Operands: literals and dotted references.
import { compileFullMatch, type FullMatcher } from './regex.ts';

export type ExprValue = string | number | boolean | null | unknown;

type Tok =
  | { t: 'str'; v: string }
  | { t: 're'; v: string }
  | { t: 'num'; v: number }
  | { t: 'id'; v: string }
  | { t: 'op'; v: string };

export type Expr =
  | { k: 'lit'; v: ExprValue }
  | { k: 're'; v: string }
  | { k: 'ref'; name: string }
  | { k: 'not'; e: Expr }
  | { k: 'bin'; op: string; l: Expr; r: Expr };

const KEYWORDS = new Set(['and', 'or', 'not', 'starts-with', 'matches', 'true', 'false', 'null']);
const REF_ROOTS = /^(?:pipeline|parameters|matrix)\./;

function tokenize(src: string): Tok[] | null {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          s += src[j + 1];
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) return null;
      toks.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    if (c === '/') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '/') {
        if (src[j] === '\\' && j + 1 < src.length) {
          s += src[j] + src[j + 1];
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) return null;
      toks.push({ t: 're', v: s });
      i = j + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['==', '!=', '>=', '<='].includes(two)) {
      toks.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if (c === '>' || c === '<' || c === '(' || c === ')') {
      toks.push({ t: 'op', v: c });
      i++;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?(?![A-Za-z_.-])/.exec(src.slice(i));
    if (num) {
      toks.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z][A-Za-z0-9_.-]*/.exec(src.slice(i));
    if (id) {
      toks.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    return null;
  }
  return toks;
}

/** Parses an expression; null when the text is not a well-formed expression. */
export function parseExpr(src: string): Expr | null {
  const toks = tokenize(src);
  if (!toks || toks.length === 0) return null;
  let pos = 0;
  const peek = (): Tok | undefined => toks[pos];
  const isKw = (v: string): boolean => {
    const t = peek();
    return t !== undefined && ((t.t === 'id' && t.v === v) || (t.t === 'op' && t.v === v));
  };
  const orE = (): Expr | null => {
    let l = andE();
    while (l && isKw('or')) {
      pos++;
      const r = andE();
      if (!r) return null;
      l = { k: 'bin', op: 'or', l, r };
    }
    return l;
  };
  const andE = (): Expr | null => {
    let l = notE();
    while (l && isKw('and')) {
      pos++;
      const r = notE();
      if (!r) return null;
      l = { k: 'bin', op: 'and', l, r };
    }
    return l;
  };
  const notE = (): Expr | null => {
    if (isKw('not')) {
      pos++;
      const e = notE();
      return e ? { k: 'not', e } : null;
    }
    return cmpE();
  };
  const cmpE = (): Expr | null => {
    const l = primary();
    if (!l) return null;
    const t = peek();
    const ops = ['==', '!=', '>=', '<=', '>', '<', 'starts-with', 'matches'];
    if (t && (t.t === 'op' || t.t === 'id') && ops.includes(t.v)) {
      pos++;
      const r = primary();
      if (!r) return null;
      return { k: 'bin', op: t.v, l, r };
    }
    return l;
  };
  const primary = (): Expr | null => {
    const t = toks[pos++];
    if (!t) return null;
    if (t.t === 'op' && t.v === '(') {
      const e = orE();
      if (!e || !isKw(')')) return null;
      pos++;
      return e;
    }
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'num') return { k: 'lit', v: t.v };
    if (t.t === 're') return { k: 're', v: t.v };
    if (t.t === 'id') {
      if (t.v === 'true') return { k: 'lit', v: true };
      if (t.v === 'false') return { k: 'lit', v: false };
      if (t.v === 'null') return { k: 'lit', v: null };
      if (KEYWORDS.has(t.v) || !REF_ROOTS.test(t.v) || t.v.includes('..') || t.v.endsWith('.')) return null;
      return { k: 'ref', name: t.v };
    }
    return null;
  };
  const e = orE();
  if (!e || pos !== toks.length) return null;
  return e;
}

export function truthy(v: unknown): boolean {
  if (v === false || v === null || v === undefined || v === 0 || v === '') return false;
  if (typeof v === 'number' && Number.isNaN(v)) return false;
  return true;
}

export class ExprError extends Error {}

/** Compiles a regex written for CircleCI (full match, RE2 syntax). Throws ExprError for unsupported syntax. */
export function fullMatchRegex(src: string): FullMatcher {
  try {
    return compileFullMatch(src);
  } catch (err) {
    throw new ExprError(err instanceof Error ? err.message : String(err));
  }
}

/** Evaluates a parsed expression. `lookup` resolves references (throws ExprError when unknown). */
export function evalExpr(e: Expr, lookup: (name: string) => unknown): unknown {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 're':
      return new RegExpLiteral(e.v);
    case 'ref':
      return lookup(e.name);
    case 'not':
      return !truthy(evalExpr(e.e, lookup));
    case 'bin': {
      if (e.op === 'and') {
        const l = evalExpr(e.l, lookup);
        return truthy(l) ? evalExpr(e.r, lookup) : l;
      }
      if (e.op === 'or') {
        const l = evalExpr(e.l, lookup);
        return truthy(l) ? l : evalExpr(e.r, lookup);
      }
      const l = evalExpr(e.l, lookup);
      const r = evalExpr(e.r, lookup);
      switch (e.op) {
        case '==':
          return l === r;
        case '!=':
          return l !== r;
        case 'starts-with':
          if (typeof l !== 'string' || typeof r !== 'string') throw new ExprError('starts-with requires string operands');
          return l.startsWith(r);
        case 'matches': {
          const re = r instanceof RegExpLiteral ? r.source : r;
          if (typeof l !== 'string' || typeof re !== 'string') throw new ExprError('matches requires a string and a regular expression');
          return fullMatchRegex(re).test(l);
        }
        default: {
          if (typeof l !== 'number' || typeof r !== 'number') throw new ExprError(`${e.op} requires number operands`);
          if (e.op === '>') return l > r;
          if (e.op === '<') return l < r;
          if (e.op === '>=') return l >= r;
          return l <= r;
        }
      }
    }
  }
}

class RegExpLiteral {
  constructor(readonly source: string) {}
}
