// Job filters: map form (branches/tags only|ignore, exact or /regex/) and expression form.
// Pure helpers the pipeline engine reuses to decide whether a job runs for a branch or tag.
import { ExprError, evalExpr, fullMatchRegex, parseExpr, truthy } from './expr.ts';
import type { Path } from './parse.ts';
import type { PipelineValues } from './types.ts';
import { isObj, type Diags } from './util.ts';

export interface GitRef {
  branch?: string;
  tag?: string;
}

function specs(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

function specMatches(spec: string, name: string): boolean {
  if (spec.length >= 2 && spec.startsWith('/') && spec.endsWith('/')) {
    try {
      return fullMatchRegex(spec.slice(1, -1)).test(name);
    } catch {
      return false;
    }
  }
  return spec === name;
}

function passes(f: unknown, name: string): boolean {
  if (!isObj(f)) return true;
  if (f.only !== undefined) return specs(f.only).some((s) => specMatches(s, name));
  if (f.ignore !== undefined) return !specs(f.ignore).some((s) => specMatches(s, name));
  return true;
}

/**
 * Does a job with these `filters` run for this branch or tag?
 * - Map filters: a tag pipeline runs the job only when `tags` is present and matches (CircleCI's
 *   tag default); branch filters do not apply to tags. A branch pipeline applies `branches` only.
 * - Expression filters (a string): evaluated with `pipeline.git.branch`/`pipeline.git.tag` (plus
 *   `pipelineValues` and `pipelineParameters`); no tag default.
 * - A boolean (a `<< … >>` expression evaluated at compile time): that verdict.
 * - No filters: runs on every branch, never for a tag.
 */
export function isFilteredIn(filters: unknown, ref: GitRef, pipelineValues: PipelineValues = {}, pipelineParameters: Record<string, unknown> = {}): boolean {
  // `filters: << expression >>` was already evaluated at compile time.
  if (typeof filters === 'boolean') return filters;
  if (typeof filters === 'string') {
    const expr = parseExpr(filters);
    if (!expr) return false;
    const values: PipelineValues = { ...pipelineValues, 'git.branch': ref.branch ?? '', 'git.tag': ref.tag ?? '' };
    try {
      return truthy(
        evalExpr(expr, (n) => {
          if (!n.startsWith('pipeline.')) throw new ExprError(`Unknown reference ${n}`);
          const k = n.slice('pipeline.'.length);
          if (k.startsWith('parameters.')) return pipelineParameters[k.slice('parameters.'.length)] ?? '';
          return Object.hasOwn(values, k) ? values[k] : '';
        }),
      );
    } catch {
      return false;
    }
  }
  const f = isObj(filters) ? filters : {};
  if (ref.tag) {
    if (!isObj(f.tags)) return false;
    return passes(f.tags, ref.tag);
  }
  return passes(f.branches, ref.branch ?? '');
}

/** Structural and regex checks of a (substituted) `filters` value. */
export function checkFilters(filters: unknown, path: Path, diags: Diags): void {
  if (filters === undefined || filters === null || typeof filters === 'boolean') return;
  if (typeof filters === 'string') {
    if (!parseExpr(filters)) diags.error(path, `Invalid filter expression: ${filters}`);
    return;
  }
  if (!isObj(filters)) {
    diags.error(path, 'filters must be a map (branches/tags) or an expression string');
    return;
  }
  for (const [k, v] of Object.entries(filters)) {
    if (k !== 'branches' && k !== 'tags') {
      diags.error([...path, k], `Unknown filter '${k}': expected branches or tags`);
      continue;
    }
    if (v === null || v === undefined) continue;
    if (!isObj(v)) {
      diags.error([...path, k], `${k} filter must be a map with 'only' or 'ignore'`);
      continue;
    }
    for (const [kk, vv] of Object.entries(v)) {
      if (kk !== 'only' && kk !== 'ignore') {
        diags.error([...path, k, kk], `Unknown ${k} filter key '${kk}': expected only or ignore`);
        continue;
      }
      for (const s of specs(vv)) {
        if (s.length >= 2 && s.startsWith('/') && s.endsWith('/')) {
          try {
            fullMatchRegex(s.slice(1, -1));
          } catch (err) {
            diags.error([...path, k, kk], err instanceof Error ? err.message : String(err));
          }
        }
      }
    }
  }
}
