// Which compiled workflows and jobs run for a branch or tag (applied by the pipeline engine).
import type { CompiledConfig, Requirement } from './compiled.ts';
import { isFilteredIn, type GitRef } from './filters.ts';
import type { PipelineValues } from './types.ts';

export interface SelectedJob {
  /** Final job name: a key of the compiled `jobs:` map (approval jobs have no entry there). */
  name: string;
  /** Names of required jobs that also run (filtered-out requirements are dropped). */
  requires: string[];
  /** The requirements of `requires`, with their statuses. */
  requirements: readonly Requirement[];
  type?: string;
  contexts: readonly string[];
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
 * selectWorkflows(config, {branch?, tag?}, {pipelineValues?, pipelineParameters?, includeScheduled?}): SelectedWorkflow[]
 *
 * Applies job filters to a compiled config for one git ref, in workflow order:
 * - filters via `isFilteredIn` (a tag pipeline runs only jobs whose `filters.tags` match;
 *   expression filters are evaluated as written);
 * - a job whose requirements were all filtered out does not run either; a filtered-out
 *   requirement is otherwise ignored;
 * - workflows with no job left are omitted; a 2.0 config without workflows runs `build`
 *   as an implicit workflow named `workflow` (read-compiled.ts). Pure.
 */
export function selectWorkflows(config: CompiledConfig, ref: GitRef, opts: SelectOptions = {}): SelectedWorkflow[] {
  const out: SelectedWorkflow[] = [];
  for (const wf of config.workflows) {
    if (wf.scheduled && !opts.includeScheduled) continue;
    const runs = new Map<string, boolean>();
    for (const e of wf.jobs) runs.set(e.name, isFilteredIn(e.filters, ref, opts.pipelineValues, opts.pipelineParameters));
    // Propagate "all requirements filtered out" until stable.
    for (let changed = true; changed; ) {
      changed = false;
      for (const e of wf.jobs) {
        if (!runs.get(e.name)) continue;
        if (e.requires.length > 0 && e.requires.every((r) => runs.get(r.name) !== true)) {
          runs.set(e.name, false);
          changed = true;
        }
      }
    }
    const jobs: SelectedJob[] = [];
    for (const e of wf.jobs) {
      if (!runs.get(e.name)) continue;
      const kept = e.requires.filter((r) => runs.get(r.name) === true);
      const job: SelectedJob = { name: e.name, requires: kept.map((r) => r.name), requirements: kept, contexts: e.contexts };
      if (e.type !== undefined) job.type = e.type;
      jobs.push(job);
    }
    if (jobs.length > 0) out.push({ name: wf.name, jobs });
  }
  return out;
}
