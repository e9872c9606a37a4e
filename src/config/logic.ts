// Logic statements (when/unless): literals, and/or/not/equal/matches, and (at workflow level and
// in filters) bare expression strings. Operates on already-substituted values.
import { ExprError, evalExpr, fullMatchRegex, parseExpr, truthy } from './expr.ts';
import type { Path } from './parse.ts';
import { lookupRef, type Scope } from './template.ts';
import { deepEqual, isObj, scalarString, type Diags } from './util.ts';
import { toPlain } from './values.ts';

const OPS = ['and', 'or', 'not', 'equal', 'matches'];

export interface LogicOptions {
  /** Accept a bare expression string (`pipeline.git.branch == "main"`): workflow when/unless and filters. */
  expressions?: { scope: Scope };
}

/** Evaluates a logic statement to a boolean. Problems are reported and count as false. */
export function evalLogic(stmt: unknown, path: Path, diags: Diags, opts: LogicOptions = {}, depth = 0): boolean {
  if (depth > 100) {
    diags.error(path, 'Logic statement exceeds the maximum nesting depth of 100');
    return false;
  }
  if (typeof stmt === 'string' && opts.expressions) {
    const expr = parseExpr(stmt);
    if (expr && /(?:pipeline|parameters|matrix)\./.test(stmt)) {
      try {
        const scope = opts.expressions.scope;
        return truthy(evalExpr(expr, (n) => lookupRef(n, scope, diags, path)));
      } catch (err) {
        if (err instanceof ExprError) {
          diags.error(path, err.message);
          return false;
        }
        throw err;
      }
    }
    if (!expr && /(?:pipeline|parameters|matrix)\./.test(stmt)) {
      diags.warn(path, `'${stmt}' is not a valid expression; it is treated as a non-empty (true) string`);
    }
  }
  if (!isObj(stmt)) return truthy(stmt);
  const keys = Object.keys(stmt);
  if (keys.length !== 1 || !OPS.includes(keys[0])) {
    if (keys.some((k) => OPS.includes(k))) {
      diags.error(path, `A logic statement must have exactly one operator, got: ${keys.join(', ')}`);
      return false;
    }
    return keys.length > 0;
  }
  const op = keys[0];
  const arg = stmt[op];
  const p = [...path, op];
  switch (op) {
    case 'and':
    case 'or': {
      if (!Array.isArray(arg) || arg.length === 0) {
        diags.error(p, `Logic statement '${op}' requires a non-empty list of statements`);
        return false;
      }
      const vals = arg.map((a, i) => evalLogic(a, [...p, i], diags, opts, depth + 1));
      return op === 'and' ? vals.every(Boolean) : vals.some(Boolean);
    }
    case 'not':
      if (Array.isArray(arg)) {
        if (arg.length !== 1) {
          diags.error(p, `Logic statement 'not' takes exactly one statement`);
          return false;
        }
        return !evalLogic(arg[0], [...p, 0], diags, opts, depth + 1);
      }
      return !evalLogic(arg, p, diags, opts, depth + 1);
    case 'equal': {
      if (!Array.isArray(arg) || arg.length === 0) {
        diags.error(p, `Logic statement 'equal' requires a non-empty list of values`);
        return false;
      }
      const vals = arg.map(toPlain);
      return vals.every((v) => deepEqual(v, vals[0]));
    }
    case 'matches': {
      if (!isObj(arg) || !Object.hasOwn(arg, 'pattern') || !Object.hasOwn(arg, 'value')) {
        diags.error(p, `Logic statement 'matches' requires 'pattern' and 'value'`);
        return false;
      }
      const pattern = scalarString(arg.pattern).replace(/^\/(.*)\/$/s, '$1');
      try {
        return fullMatchRegex(pattern).test(scalarString(arg.value));
      } catch (err) {
        diags.error([...p, 'pattern'], err instanceof Error ? err.message : String(err));
        return false;
      }
    }
  }
  return false;
}
