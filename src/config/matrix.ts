// Matrix jobs: cartesian product minus excludes, default instance names, aliases.
import { LIMITS } from './limits.ts';
import type { Path } from './parse.ts';
import { deepEqual, isObj, scalarString, type Diags } from './util.ts';

/** Upper bound on instances of one matrix (before excludes): as many as a workflow may hold (limits.ts). */
export const MAX_INSTANCES = LIMITS.jobsPerWorkflow;

export interface MatrixExpansion {
  instances: Record<string, unknown>[];
  alias: string | null;
}

/** Expands an (already substituted) `matrix:` map. */
export function expandMatrix(matrix: unknown, path: Path, diags: Diags): MatrixExpansion {
  if (!isObj(matrix) || !isObj(matrix.parameters)) {
    diags.error(path, `matrix requires a 'parameters' map`);
    return { instances: [], alias: null };
  }
  for (const k of Object.keys(matrix)) {
    if (!['parameters', 'exclude', 'alias'].includes(k)) diags.error([...path, k], `Unknown matrix key '${k}'`);
  }
  const params = matrix.parameters;
  const size = Object.values(params).reduce<number>((n, v) => n * (Array.isArray(v) ? v.length : 1), 1);
  if (size > MAX_INSTANCES) {
    diags.error([...path, 'parameters'], `matrix expands to ${size} jobs; at most ${MAX_INSTANCES} are allowed`);
    return { instances: [], alias: null };
  }
  let combos: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(params)) {
    const list = Array.isArray(values) ? values : [values];
    if (!Array.isArray(values)) diags.error([...path, 'parameters', name], `Matrix parameter '${name}' must be a list of values`);
    if (list.length === 0) diags.error([...path, 'parameters', name], `Matrix parameter '${name}' has no values`);
    const next: Record<string, unknown>[] = [];
    for (const c of combos) for (const v of list) next.push({ ...c, [name]: v });
    combos = next;
  }
  let excludes: unknown[] = [];
  if (matrix.exclude !== undefined) {
    if (!Array.isArray(matrix.exclude)) diags.error([...path, 'exclude'], 'matrix exclude must be a list of parameter maps');
    else excludes = matrix.exclude;
  }
  excludes.forEach((ex, i) => {
    if (!isObj(ex)) {
      diags.error([...path, 'exclude', i], 'matrix exclude entries must be maps of parameter values');
      return;
    }
    for (const k of Object.keys(ex)) if (!Object.hasOwn(params, k)) diags.error([...path, 'exclude', i, k], `Excluded matrix parameter '${k}' is not one of the matrix parameters`);
  });
  const instances = combos.filter((c) => !excludes.some((ex) => isObj(ex) && Object.entries(ex).every(([k, v]) => deepEqual(c[k], v))));
  if (combos.length > 0 && instances.length === 0) diags.error(path, 'matrix excludes every combination; no jobs would run');
  const alias = matrix.alias === undefined ? null : scalarString(matrix.alias);
  return { instances, alias };
}

/** Default instance name: job name then each value, parameters sorted by name, joined by `-`. */
export function matrixInstanceName(job: string, values: Record<string, unknown>): string {
  const keys = Object.keys(values).sort();
  return [job, ...keys.map((k) => scalarString(values[k]))].join('-');
}
