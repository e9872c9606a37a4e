// Turns a compiled config into the workflow and job records a pipeline starts with. Pure.
import { readBuildJob, selectWorkflows, type CompiledConfig, type GitRef, type PipelineValues, type Requirement } from '../../config/index.ts';
import { REQUIRED_STATUSES, type RequiredStatus } from './status.ts';

export interface PlannedJob {
  name: string;
  type: 'build' | 'approval' | 'no-op';
  requires: { name: string; statuses: RequiredStatus[] }[];
  contexts: string[];
  /** The job's compiled document (stored; read back with `readBuildJob`). */
  config: Record<string, unknown>;
  executor: string;
  resourceClass: string;
  parallelism: number;
}

export interface PlannedWorkflow {
  name: string;
  jobs: PlannedJob[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Statuses in CircleCI's order; `terminal` means all of them; nothing valid means success. */
function statusList(given: ReadonlySet<string>): RequiredStatus[] {
  if (given.has('terminal')) return [...REQUIRED_STATUSES];
  const out = REQUIRED_STATUSES.filter((s) => given.has(s));
  return out.length > 0 ? out : ['success'];
}

/** A requirement's statuses (`terminal` = any final status; none given = success). */
export function parseRequirement(r: Requirement): { name: string; statuses: RequiredStatus[] } {
  return { name: r.name, statuses: statusList(new Set(r.statuses)) };
}

export function planWorkflows(compiled: CompiledConfig, ref: GitRef, values: PipelineValues): PlannedWorkflow[] {
  const documents = isObj(compiled.document.jobs) ? compiled.document.jobs : {};
  return selectWorkflows(compiled, ref, { pipelineValues: values }).map((wf) => ({
    name: wf.name,
    jobs: wf.jobs.map((j): PlannedJob => {
      const config = isObj(documents[j.name]) ? (documents[j.name] as Record<string, unknown>) : {};
      const job = compiled.jobs[j.name];
      const declaredType = j.type ?? (job && job.kind !== 'build' ? job.kind : 'build');
      const type = declaredType === 'approval' ? 'approval' : declaredType === 'no-op' ? 'no-op' : 'build';
      // Settled jobs (and workflow-only approvals) are read as build jobs too, for their defaults.
      const body = job?.kind === 'build' ? job : readBuildJob(config);
      return {
        name: j.name,
        type,
        requires: j.requirements.map(parseRequirement),
        contexts: [...j.contexts],
        config,
        executor: type === 'build' ? body.executor.kind : 'none',
        resourceClass: body.resource_class,
        parallelism: body.parallelism,
      };
    }),
  }));
}
