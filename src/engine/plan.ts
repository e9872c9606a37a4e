// Turns a compiled config into the workflow and job records a pipeline starts with. Pure.
import { selectWorkflows, type GitRef, type PipelineValues } from '../config/index.ts';
import { REQUIRED_STATUSES, type RequiredStatus } from './status.ts';

export interface PlannedJob {
  name: string;
  type: 'build' | 'approval' | 'no-op';
  requires: { name: string; statuses: RequiredStatus[] }[];
  contexts: string[];
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

export function executorKind(config: Record<string, unknown>): string {
  for (const k of ['docker', 'machine', 'macos', 'windows']) if (config[k] !== undefined && config[k] !== false) return k;
  return 'none';
}

/** Statuses in CircleCI's order; `terminal` means all of them; nothing valid means success. */
function statusList(v: unknown): RequiredStatus[] {
  const given = new Set((Array.isArray(v) ? v : [v]).map(String));
  if (given.has('terminal')) return [...REQUIRED_STATUSES];
  const out = REQUIRED_STATUSES.filter((s) => given.has(s));
  return out.length > 0 ? out : ['success'];
}

/** A `requires` entry: `name` or `{name: status | [statuses]}` (`terminal` = any final status). */
export function parseRequirement(r: unknown): { name: string; statuses: RequiredStatus[] } {
  if (isObj(r)) {
    const [name, statuses] = Object.entries(r)[0] ?? ['', undefined];
    return { name, statuses: statusList(statuses) };
  }
  return { name: String(r), statuses: ['success'] };
}

export function contextNames(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String).filter((s) => s !== '');
}

export function planWorkflows(compiled: Record<string, unknown>, ref: GitRef, values: PipelineValues): PlannedWorkflow[] {
  const jobs = isObj(compiled.jobs) ? compiled.jobs : {};
  return selectWorkflows(compiled, ref, { pipelineValues: values }).map((wf) => ({
    name: wf.name,
    jobs: wf.jobs.map((j): PlannedJob => {
      const config = isObj(jobs[j.name]) ? (jobs[j.name] as Record<string, unknown>) : {};
      const declaredType = j.type ?? (typeof config.type === 'string' ? config.type : 'build');
      const type = declaredType === 'approval' ? 'approval' : declaredType === 'no-op' ? 'no-op' : 'build';
      const parallelism = Number(config.parallelism ?? 1);
      return {
        name: j.name,
        type,
        requires: j.requiresRaw.map(parseRequirement),
        contexts: contextNames(j.context),
        config,
        executor: type === 'build' ? executorKind(config) : 'none',
        resourceClass: typeof config.resource_class === 'string' && config.resource_class !== '' ? config.resource_class : 'medium',
        parallelism: Number.isInteger(parallelism) && parallelism >= 1 ? parallelism : 1,
      };
    }),
  }));
}
