// `<< … >>` template syntax: references, expressions, `\<<` escapes and `<<# x >>…<</ x >>` / `<<^ x >>` sections.
import { ExprError, evalExpr, parseExpr, truthy } from './expr.ts';
import { ExpansionMeter, LIMITS } from './limits.ts';
import type { Path, PathSeg } from './parse.ts';
import type { Diags } from './util.ts';
import { scalarString } from './util.ts';
import type { PipelineValues } from './types.ts';

/** What `<< … >>` can see at one place in the config. */
export interface Scope {
  /** Bound element parameters; null where `parameters.*` is not defined (workflows, pipeline params). */
  params: Record<string, unknown> | null;
  /** Pipeline parameters; null where they are out of scope (orb bodies, pipeline-parameter definitions). */
  pipelineParams: Record<string, unknown> | null;
  pipelineValues: PipelineValues;
  /** Matrix values of the current matrix instance; null outside matrix entries. */
  matrix: Record<string, unknown> | null;
  /** Inside `environment:` maps an absent pipeline value renders as `<nil>` (CircleCI's rendering). */
  nilAbsent?: boolean;
}

const REF = /^(?:parameters|pipeline|matrix)\.[A-Za-z0-9_.-]*[A-Za-z0-9_-]$/;

export function undeclared(name: string): string {
  return `Arguments referenced without declared parameters: ${name}`;
}

/** Resolves one dotted reference; reports undeclared ones and returns '' for them. */
export function lookupRef(name: string, scope: Scope, diags: Diags, path: Path): unknown {
  // (No closures here: this runs for every reference of every compile.)
  if (name.startsWith('parameters.')) {
    const key = name.slice('parameters.'.length);
    if (scope.params && Object.hasOwn(scope.params, key)) return scope.params[key];
  } else if (name.startsWith('pipeline.parameters.')) {
    const key = name.slice('pipeline.parameters.'.length);
    if (scope.pipelineParams && Object.hasOwn(scope.pipelineParams, key)) return scope.pipelineParams[key];
  } else if (name.startsWith('matrix.')) {
    const key = name.slice('matrix.'.length);
    if (scope.matrix && Object.hasOwn(scope.matrix, key)) return scope.matrix[key];
  } else if (name.startsWith('pipeline.')) {
    const key = name.slice('pipeline.'.length);
    if (Object.hasOwn(scope.pipelineValues, key)) return scope.pipelineValues[key];
    return scope.nilAbsent ? '<nil>' : '';
  }
  diags.error(path, undeclared(name));
  return '';
}

type EvalResult = { ok: true; value: unknown } | { ok: false };

/** Evaluates the inside of `<< … >>`: a reference or an expression. Not ok when it is neither. */
export function evalContent(content: string, scope: Scope, diags: Diags, path: Path): EvalResult {
  const text = content.trim();
  if (REF.test(text)) return { ok: true, value: lookupRef(text, scope, diags, path) };
  const expr = parseExpr(text);
  if (!expr) return { ok: false };
  try {
    return { ok: true, value: evalExpr(expr, (n) => lookupRef(n, scope, diags, path)) };
  } catch (err) {
    if (err instanceof ExprError) {
      diags.error(path, err.message);
      return { ok: true, value: '' };
    }
    throw err;
  }
}

type TNode = { k: 'text'; v: string } | { k: 'ref'; content: string; raw: string } | { k: 'sec'; ref: string; inv: boolean; body: TNode[] };

// Parsed templates are pure functions of their text and never modified: memoized (bounded).
const templateCache = new Map<string, TNode[]>();
const TEMPLATE_CACHE_SIZE = 4096;

function parseTemplate(s: string): TNode[] {
  let nodes = templateCache.get(s);
  if (nodes === undefined) {
    nodes = new TemplateParser(s).parseUntil(null);
    if (templateCache.size >= TEMPLATE_CACHE_SIZE) templateCache.clear();
    templateCache.set(s, nodes);
  }
  return nodes;
}

class TemplateParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseUntil(closeRef: string | null): TNode[] {
    const s = this.s;
    const out: TNode[] = [];
    let text = '';
    while (this.i < s.length) {
      const i = this.i;
      const lt = s.indexOf('<<', i);
      if (lt < 0) {
        text += s.slice(i);
        this.i = s.length;
        break;
      }
      if (lt > i && s.charCodeAt(lt - 1) === 92 /* \ */) {
        // `\<<` is a literal `<<`.
        text += `${s.slice(i, lt - 1)}<<`;
        this.i = lt + 2;
        continue;
      }
      text += s.slice(i, lt);
      const end = s.indexOf('>>', lt + 2);
      if (end < 0) {
        text += s.slice(lt);
        this.i = s.length;
        break;
      }
      const content = s.slice(lt + 2, end);
      const lead = content.trimStart()[0];
      if ((lead === '#' || lead === '^') && REF.test(content.trim().slice(1).trim())) {
        if (text) out.push({ k: 'text', v: text });
        text = '';
        this.i = end + 2;
        const ref = content.trim().slice(1).trim();
        out.push({ k: 'sec', ref, inv: lead === '^', body: this.parseUntil(ref) });
        continue;
      }
      if (lead === '/' && closeRef !== null && content.trim().slice(1).trim() === closeRef) {
        this.i = end + 2;
        if (text) out.push({ k: 'text', v: text });
        return out;
      }
      if (text) out.push({ k: 'text', v: text });
      text = '';
      out.push({ k: 'ref', content, raw: s.slice(lt, end + 2) });
      this.i = end + 2;
    }
    if (text) out.push({ k: 'text', v: text });
    return out;
  }
}

const WHOLE = /^<<(?![#^/])((?:(?!>>|<<).)*)>>$/s;

/** Substitutes a string. A string that is exactly one reference returns the typed value. */
export function interpolate(s: string, scope: Scope, diags: Diags, path: Path): unknown {
  if (!s.includes('<<')) return s;
  const meter = (diags.meter ??= new ExpansionMeter());
  if (meter.exceeded) return '';
  // The regex only for strings that can match it (it would scan long scripts otherwise).
  const whole = s.startsWith('<<') && s.endsWith('>>') ? WHOLE.exec(s) : null;
  if (whole && !s.includes('\\<<')) {
    const r = evalContent(whole[1], scope, diags, path);
    if (r.ok) {
      if (typeof r.value === 'string' && !meter.add(r.value.length, path, diags)) return '';
      return r.value;
    }
  }
  const out = renderTemplate(parseTemplate(s), scope, diags, path, meter);
  return meter.add(out.length, path, diags) ? out : '';
}

/** Renders a parsed template; stops (returns what it has) once the output would pass the expansion limit. */
function renderTemplate(nodes: TNode[], scope: Scope, diags: Diags, path: Path, meter: ExpansionMeter): string {
  let out = '';
  for (const n of nodes) {
    if (n.k === 'text') out += n.v;
    else if (n.k === 'ref') {
      const r = evalContent(n.content, scope, diags, path);
      out += r.ok ? scalarString(r.value) : n.raw;
    } else {
      const v = truthy(lookupRef(n.ref, scope, diags, path));
      if (v !== n.inv) out += renderTemplate(n.body, scope, diags, path, meter);
    }
    if (meter.used + out.length > LIMITS.expandedBytes) return out;
  }
  return out;
}

/**
 * Deep substitution of every string in a value. Never mutates the input; a map or list in which
 * nothing was substituted is returned as it is (shared, not copied: the compiler never changes
 * its data in place, and `toPlain` copies each compiled job), so the orb and command bodies
 * that hold no `<< >>` cost no copy per use.
 */
export function substitute(value: unknown, scope: Scope, diags: Diags, path: Path): unknown {
  if (typeof value === 'string') return hasTemplate(value) ? interpolate(value, scope, diags, path) : value;
  if (typeof value !== 'object' || value === null) return value;
  // One path array for the whole walk (segments pushed and popped); diagnostics copy it.
  return substituteIn(value, scope, diags, [...path]);
}

// Long strings (orb scripts) that contain no `<<`, remembered so they are not scanned again on
// every use: cached orb data hands the same string objects to every compile, whose hash V8 keeps.
const plainLong = new Set<string>();
const PLAIN_LONG_MIN = 256;
const PLAIN_LONG_SIZE = 4096;

function hasTemplate(s: string): boolean {
  if (s.length < PLAIN_LONG_MIN) return s.includes('<<');
  if (plainLong.has(s)) return false;
  if (s.includes('<<')) return true;
  if (plainLong.size >= PLAIN_LONG_SIZE) plainLong.clear();
  plainLong.add(s);
  return false;
}

function substituteIn(value: unknown, scope: Scope, diags: Diags, path: PathSeg[]): unknown {
  if (typeof value === 'string') return hasTemplate(value) ? interpolate(value, scope, diags, path) : value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const v: unknown = value[i];
      const sub = substituteIn(v, scope, diags, path);
      path.pop();
      if (out !== null) out[i] = sub;
      else if (sub !== v) {
        out = value.slice(0, i);
        out[i] = sub;
      }
    }
    return out ?? value;
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const src = value as Record<string, unknown>;
    // A copy assigns `__proto__` (setting the prototype) where the source had an own key: keep that.
    let out: Record<string, unknown> | null = Object.hasOwn(src, '__proto__') ? {} : null;
    const copied = out !== null;
    // for-in over the own keys (a plain object): no key array per map walked, and most maps
    // walked are returned as they are.
    let i = 0;
    for (const k in src) {
      path.push(k);
      const v = src[k];
      const sub = substituteIn(v, k === 'environment' && !scope.nilAbsent ? { ...scope, nilAbsent: true } : scope, diags, path);
      path.pop();
      if (out !== null) out[k] = sub;
      else if (sub !== v) {
        out = {};
        let j = 0;
        for (const before in src) {
          if (j++ === i) break;
          out[before] = src[before];
        }
        out[k] = sub;
      }
      i++;
    }
    return copied || out !== null ? out : src;
  }
  return value;
}
