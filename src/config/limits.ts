// Compile limits (docs/limits.md): CircleCI's published limits where they exist, circlet's own
// elsewhere. Each is enforced with a config error naming the field, as early as the compiler can
// see it, so a pathological config stops in milliseconds instead of growing without bound.
import type { Path } from './parse.ts';
import { isObj, type Diags } from './util.ts';

export const LIMITS = {
  /**
   * Source text of one config (circlet; CircleCI documents only the compiled limit). The largest
   * real config in the test corpus is 83 KB; parsing YAML is the one cost paid before any count
   * can be checked, so the bound is kept at 2 MB.
   */
  sourceBytes: 2 * 1024 * 1024,
  /** The compiled config and everything `<< >>` substitution produces (CircleCI: 8 MB). */
  expandedBytes: 8 * 1024 * 1024,
  /** `parallelism` of one job (circlet; CircleCI bounds it by plan concurrency, Scale's default 200). */
  parallelism: 200,
  /** Job invocations in one workflow, after matrix expansion (circlet). */
  jobsPerWorkflow: 500,
  /** Job invocations in one pipeline, over all workflows (circlet). */
  jobsPerPipeline: 1000,
  /** Workflows in one config (circlet). */
  workflows: 100,
  /** Steps of one compiled job, after command expansion (circlet). */
  stepsPerJob: 1000,
  /** Definitions under each of `jobs`, `commands`, `executors`, `parameters` (circlet). */
  definitions: 1000,
  /** Orbs a config imports, counting orbs imported by orbs (circlet). */
  orbs: 100,
  /** Source text of one imported orb (circlet). */
  orbBytes: 2 * 1024 * 1024,
} as const;

export function mb(n: number): string {
  const v = n / 1024 / 1024;
  return `${Number.isInteger(v) ? v : v.toFixed(2)} MB`;
}

/** Source size, before the YAML parser sees it. */
export function sourceTooLarge(source: string): string | null {
  if (source.length <= LIMITS.sourceBytes) return null;
  return `The config is ${mb(source.length)}; at most ${mb(LIMITS.sourceBytes)} is allowed`;
}

/**
 * Counts that can be read off the parsed document before any validation or expansion: a config
 * with 50,000 jobs or 200,000 steps fails here, in one linear pass over its top level.
 */
export function checkDocumentLimits(doc: Record<string, unknown>, diags: Diags): boolean {
  const before = diags.errorCount;
  for (const key of ['jobs', 'commands', 'executors', 'parameters', 'job-groups']) {
    const v = doc[key];
    if (isObj(v) && Object.keys(v).length > LIMITS.definitions) diags.error([key], `${key} defines ${Object.keys(v).length} entries; at most ${LIMITS.definitions} are allowed`);
  }
  if (isObj(doc.orbs) && Object.keys(doc.orbs).length > LIMITS.orbs) diags.error(['orbs'], `The config imports ${Object.keys(doc.orbs).length} orbs; at most ${LIMITS.orbs} are allowed`);
  for (const key of ['jobs', 'commands']) {
    const defs = doc[key];
    if (!isObj(defs)) continue;
    for (const [name, def] of Object.entries(defs)) {
      if (isObj(def) && Array.isArray(def.steps) && def.steps.length > LIMITS.stepsPerJob) {
        diags.error([key, name, 'steps'], `${key === 'jobs' ? 'Job' : 'Command'} ${name} has ${def.steps.length} steps; at most ${LIMITS.stepsPerJob} are allowed per job`);
      }
    }
  }
  const wfs = doc.workflows;
  if (isObj(wfs)) {
    const names = Object.keys(wfs).filter((k) => k !== 'version');
    if (names.length > LIMITS.workflows) diags.error(['workflows'], `The config has ${names.length} workflows; at most ${LIMITS.workflows} are allowed`);
    let total = 0;
    for (const name of names) {
      const wf = wfs[name];
      const n = isObj(wf) && Array.isArray(wf.jobs) ? wf.jobs.length : 0;
      total += n;
      if (n > LIMITS.jobsPerWorkflow) diags.error(['workflows', name, 'jobs'], tooManyJobs(name, n));
    }
    if (total > LIMITS.jobsPerPipeline && diags.errorCount === before) diags.error(['workflows'], tooManyPipelineJobs(total));
  }
  return diags.errorCount === before;
}

export function tooManyJobs(workflow: string, n: number): string {
  return `Workflow ${workflow} has ${n} jobs; at most ${LIMITS.jobsPerWorkflow} are allowed per workflow`;
}

export function tooManyPipelineJobs(n: number): string {
  return `The config has ${n} jobs over all workflows; at most ${LIMITS.jobsPerPipeline} are allowed per pipeline`;
}

/** `parallelism` of a compiled job: a whole number from 1 to the limit. */
export function checkParallelism(v: unknown, path: Path, diags: Diags): void {
  // A string that is not a number was reported by the type checks (the engine reads it as 1);
  // a numeric string (`<< parameters.p >>0`) is the number the engine would read.
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || (typeof v === 'string' && Number.isNaN(n))) return;
  if (!Number.isInteger(n) || n < 1) {
    diags.error(path, `parallelism must be a whole number from 1 to ${LIMITS.parallelism}, not ${String(v)}`);
  } else if (n > LIMITS.parallelism) {
    diags.error(path, `parallelism is ${n}; at most ${LIMITS.parallelism} is allowed`);
  }
}

/**
 * Bytes produced by substitution in one compile. Checked on every rendered string, so a
 * parameter-expansion bomb (each level doubling a string) stops when the total passes the limit,
 * long before memory runs out.
 */
export class ExpansionMeter {
  used = 0;
  exceeded = false;
  /** Adds `n` characters; false (and one diagnostic) once the total passes the limit. */
  add(n: number, path: Path, diags: Diags): boolean {
    if (this.exceeded) return false;
    this.used += n;
    if (this.used <= LIMITS.expandedBytes) return true;
    this.exceeded = true;
    diags.error(path, `Parameter substitution expands the config past ${mb(LIMITS.expandedBytes)} (the limit on the expanded config); a parameter may be doubled at every level of nested commands`);
    return false;
  }
}

/**
 * Size of a compiled config as rendered (string lengths plus a few bytes per node), counted
 * only up to `limit`: shared step lists count once per use, as they are rendered.
 */
export function exceedsSize(value: unknown, limit: number): boolean {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') size += v.length + 2;
    else if (Array.isArray(v)) {
      size += 2;
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (v !== null && typeof v === 'object') {
      // for-in over the own keys (the compiled data is plain objects): no array allocated per
      // object, as Object.keys or Object.entries would (this walks every compiled job).
      const o = v as Record<string, unknown>;
      for (const k in o) {
        if (!Object.hasOwn(o, k)) continue;
        size += k.length + 2;
        stack.push(o[k]);
      }
    } else size += 5;
    if (size > limit) return true;
  }
  return false;
}
