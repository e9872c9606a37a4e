// Which compiled workflows and jobs run for a branch or tag (applied by the pipeline engine).
import { isFilteredIn, type GitRef } from './filters.ts';
import type { PipelineValues } from './types.ts';
import { isObj, splitEntry } from './util.ts';

export interface SelectedJob {
  /** Final job name: a key of the compiled `jobs:` map (approval jobs have no entry there). */
  name: string;
  /** Names of required jobs that also run (filtered-out requirements are dropped). */
  requires: string[];
  /** Raw requires entries as compiled (`name` or `{name: status}`), for the ones kept. */
  requiresRaw: unknown[];
  type?: string;
  context?: unknown;
  /** The whole compiled workflow entry of this job (requires, context, filters, type, ...). */
  entry: Record<string, unknown>;
}

export interface SelectedWorkflow {
  name: string;
  jobs: SelectedJob[];
}

export interface SelectOptions {
  /** Extra pipeline values for expression filters (`pipeline.git.branch`/`tag` come from the ref). */
  pipelineValues?: PipelineValues;
  /** Pipeline parameters, for `pipeline.parameters.*` in expression filters. */
  pipelineParameters?: Record<string, unknown>;
  /** Include legacy `triggers:` (scheduled) workflows; by default they only run on their schedule. */
  includeScheduled?: boolean;
}

/**
 * selectWorkflows(compiled, {branch?, tag?}, {pipelineValues?, pipelineParameters?, includeScheduled?}): SelectedWorkflow[]
 *
 * Applies job filters to a compiled (`version: 2`) config for one git ref, in workflow order:
 * - filters via `isFilteredIn` (a tag pipeline runs only jobs whose `filters.tags` match;
 *   expression filters are evaluated as written);
 * - a job whose requirements were all filtered out does not run either; a filtered-out
 *   requirement is otherwise ignored;
 * - workflows with no job left are omitted; a 2.0 config without workflows runs `build`
 *   as an implicit workflow named `workflow`. Pure: the input is not mutated.
 */
export function selectWorkflows(compiled: Record<string, unknown>, ref: GitRef, opts: SelectOptions = {}): SelectedWorkflow[] {
  const out: SelectedWorkflow[] = [];
  // A 2.0 config without workflows runs its `build` job as an implicit workflow.
  const implicit = compiled.workflows === undefined && isObj(compiled.jobs) && Object.hasOwn(compiled.jobs, 'build');
  const workflows = isObj(compiled.workflows) ? compiled.workflows : implicit ? { workflow: { jobs: ['build'] } } : {};
  for (const [wfName, wf] of Object.entries(workflows)) {
    if (wfName === 'version' || !isObj(wf) || !Array.isArray(wf.jobs)) continue;
    if (wf.triggers !== undefined && !opts.includeScheduled) continue;
    const entries = wf.jobs
      .map((e) => splitEntry(e))
      .filter((e): e is [string, unknown] => e !== null)
      .map(([name, v]) => ({ name, entry: isObj(v) ? v : {} }));
    const runs = new Map<string, boolean>();
    for (const e of entries) runs.set(e.name, isFilteredIn(e.entry.filters, ref, opts.pipelineValues, opts.pipelineParameters));
    // Propagate "all requirements filtered out" until stable.
    for (let changed = true; changed; ) {
      changed = false;
      for (const e of entries) {
        if (!runs.get(e.name)) continue;
        const reqs = reqNames(e.entry.requires);
        if (reqs.length > 0 && reqs.every((r) => runs.get(r) !== true)) {
          runs.set(e.name, false);
          changed = true;
        }
      }
    }
    const jobs: SelectedJob[] = [];
    for (const e of entries) {
      if (!runs.get(e.name)) continue;
      const raw = Array.isArray(e.entry.requires) ? e.entry.requires : [];
      const kept = raw.filter((r) => runs.get(reqName(r)) === true);
      const job: SelectedJob = { name: e.name, requires: kept.map(reqName), requiresRaw: kept, entry: e.entry };
      if (typeof e.entry.type === 'string') job.type = e.entry.type;
      if (e.entry.context !== undefined) job.context = e.entry.context;
      jobs.push(job);
    }
    if (jobs.length > 0) out.push({ name: wfName, jobs });
  }
  return out;
}

function reqName(r: unknown): string {
  return typeof r === 'string' ? r : isObj(r) ? (Object.keys(r)[0] ?? '') : String(r);
}

function reqNames(v: unknown): string[] {
  return Array.isArray(v) ? v.map(reqName) : [];
}
