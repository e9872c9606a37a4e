// Small shared helpers: value predicates, diagnostics collection, deep equality.
import { formatPath, type Path } from './parse.ts';
import type { ExpansionMeter } from './limits.ts';
import type { Diagnostic } from './types.ts';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** A diagnostic before positions are attached. */
export interface RawDiagnostic {
  severity: 'error' | 'warning';
  message: string;
  path: Path;
  context?: string[];
}

/** Collects diagnostics; shared by every compile stage. */
export class Diags {
  readonly items: RawDiagnostic[] = [];
  private seen = new Set<string>();
  private trail: string[] = [];
  /** Bytes produced by `<< >>` substitution in this compile (see limits.ts); set by template.ts. */
  meter?: ExpansionMeter;
  /** Runs `fn` inside a call-chain frame (`Error calling job: 'x'`) recorded on its diagnostics. */
  within<T>(frame: string, fn: () => T): T {
    this.trail.push(frame);
    try {
      return fn();
    } finally {
      this.trail.pop();
    }
  }
  error(path: Path, message: string): void {
    this.add('error', path, message);
  }
  warn(path: Path, message: string): void {
    this.add('warning', path, message);
  }
  private add(severity: 'error' | 'warning', path: Path, message: string): void {
    const key = `${severity}|${formatPath(path)}|${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const item: RawDiagnostic = { severity, message, path: [...path] };
    if (this.trail.length > 0) item.context = [...this.trail];
    this.items.push(item);
  }
  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }
  toDiagnostics(locate: (p: Path) => { line: number; column: number } | undefined): Diagnostic[] {
    return this.items.map((d) => {
      const pos = locate(d.path);
      const out: Diagnostic = { severity: d.severity, message: d.message, path: formatPath(d.path) };
      if (pos) {
        out.line = pos.line;
        out.column = pos.column;
      }
      if (d.context) out.context = [...d.context];
      return out;
    });
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Deterministic JSON with sorted keys, for identity comparisons. */
export function stableKey(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableKey).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableKey(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/**
 * `stableKey(a) === stableKey(b)`, without building either string: compares as it goes and stops
 * at the first difference (job bodies of a few KiB each are compared this way).
 */
export function stableEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  const aList = Array.isArray(a);
  const aMap = !aList && isObj(a);
  if (aList || aMap || Array.isArray(b) || isObj(b)) {
    if (aList && Array.isArray(b)) return a.length === b.length && a.every((x, i) => stableEqual(x, b[i]));
    if (aMap && isObj(b)) {
      const ka = Object.keys(a);
      return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && stableEqual(a[k], b[k]));
    }
    return stableKey(a) === stableKey(b);
  }
  return (JSON.stringify(a) ?? 'undefined') === (JSON.stringify(b) ?? 'undefined');
}

/** The string form of a scalar as CircleCI splices it into text. */
export function scalarString(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && v !== null && 'executorName' in v) return String((v as { executorName: string }).executorName);
  return JSON.stringify(v);
}

/** Single-key map step/entry → [key, value]; string → [string, undefined]; otherwise null. */
export function splitEntry(entry: unknown): [string, unknown] | null {
  if (typeof entry === 'string') return [entry, undefined];
  if (isObj(entry)) {
    const k = onlyKey(entry);
    if (k !== undefined) return [k, entry[k]];
  }
  return null;
}

/**
 * A copy of a plain map without the keys `a` and `b`, as
 * `Object.fromEntries(Object.entries(o).filter(...))` makes it (an own `__proto__` key stays an
 * own key) without the arrays of pairs (this runs for every job and executor invocation).
 */
export function omitKeys(o: Obj, a: string, b?: string): Obj {
  const out: Obj = {};
  for (const k in o) {
    if (k === a || k === b) continue;
    if (k === '__proto__') Object.defineProperty(out, k, { value: o[k], writable: true, enumerable: true, configurable: true });
    else out[k] = o[k];
  }
  return out;
}

/** The key of a plain map that has exactly one; undefined otherwise (no key array allocated). */
export function onlyKey(o: Obj): string | undefined {
  let only: string | undefined;
  for (const k in o) {
    if (only !== undefined) return undefined;
    only = k;
  }
  return only;
}
