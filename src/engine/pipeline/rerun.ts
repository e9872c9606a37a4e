// Rerunning a workflow: a new workflow of the same name in the same pipeline.
import { newId, nowIso } from '../../domain/clock.ts';
import { insertJobs, jobsOfWorkflow, type Job } from '../../storage/jobs.ts';
import { insertWorkflow, getWorkflow } from '../../storage/workflows.ts';
import { updatePipeline } from '../../storage/pipelines.ts';
import { advanceWorkflow, type Requirement } from './advance.ts';
import { CircletError } from '../../domain/errors.ts';
import type { EngineDeps } from '../deps.ts';
import { isTerminalJob } from './status.ts';
import { inTransaction } from '../../storage/executor.ts';

export interface RerunOptions {
  fromFailed?: boolean;
  jobs?: string[];
  sparseTree?: boolean;
  enableSsh?: boolean;
}

/** Set on a job's stored config when it was rerun with SSH; the task payload reports it. */
export const ENABLE_SSH_FIELD = 'circlet_enable_ssh';

const NOT_SUCCESSFUL = new Set(['failed', 'infrastructure_fail', 'timedout', 'canceled', 'not_run', 'unauthorized']);

/**
 * Which jobs a rerun runs again (pure): everything; the unsuccessful ones (from_failed:
 * failed, infrastructure_fail, timedout, canceled, unauthorized, not_run); or the chosen
 * ones; in the last two cases with every job downstream of them.
 */
export function rerunSet(jobs: Pick<Job, 'id' | 'status' | 'requires'>[], opts: RerunOptions): Set<string> {
  if (!opts.fromFailed && !opts.jobs) return new Set(jobs.map((j) => j.id));
  const seeds = opts.fromFailed ? jobs.filter((j) => NOT_SUCCESSFUL.has(j.status)).map((j) => j.id) : opts.jobs!;
  const set = new Set(seeds);
  for (let grew = true; grew; ) {
    grew = false;
    for (const j of jobs) {
      if (set.has(j.id)) continue;
      if ((JSON.parse(j.requires) as Requirement[]).some((r) => set.has(r.job_id))) {
        set.add(j.id);
        grew = true;
      }
    }
  }
  return set;
}

export async function rerunWorkflow(deps: EngineDeps, workflowId: string, opts: RerunOptions, userId: string): Promise<string> {
  if (opts.fromFailed && opts.jobs) throw new CircletError('RERUN_FROM_FAILED_AND_JOBS');
  if (opts.sparseTree && !opts.jobs) throw new CircletError('RERUN_SPARSE_TREE_WITHOUT_JOBS');
  const newWorkflowId = newId();
  let queued = 0;
  await inTransaction(deps.database.db, async (trx) => {
    const wf = await getWorkflow(trx, workflowId);
    if (!wf) throw new CircletError('WORKFLOW_NOT_FOUND');
    const jobs = await jobsOfWorkflow(trx, workflowId);
    if (!jobs.every((j) => isTerminalJob(j.status))) throw new CircletError('RERUN_WORKFLOW_RUNNING');
    if (opts.jobs) {
      const known = new Set(jobs.map((j) => j.id));
      const unknown = opts.jobs.filter((id) => !known.has(id));
      if (unknown.length > 0) throw new CircletError('RERUN_UNKNOWN_JOBS', { names: unknown.join(', ') });
      if (opts.jobs.length === 0) throw new CircletError('RERUN_NO_JOBS');
    }
    const rerun = rerunSet(jobs, opts);
    if (rerun.size === 0) throw new CircletError('RERUN_NO_FAILED_JOBS');
    const now = nowIso(deps.now());
    await insertWorkflow(trx, {
      id: newWorkflowId,
      pipeline_id: wf.pipeline_id,
      project_id: wf.project_id,
      name: wf.name,
      status: 'running',
      tag: wf.tag,
      started_by: userId,
      canceled_by: null,
      errored_by: null,
      rerun_of: wf.rerun_of ?? wf.id,
      created_at: now,
      stopped_at: null,
    });
    // sparse_tree: the new workflow holds only the jobs that run again; requirements on the
    // jobs left out were met in the original run and are dropped.
    const kept = opts.sparseTree ? jobs.filter((j) => rerun.has(j.id)) : jobs;
    const ids = new Map(kept.map((j) => [j.id, newId()]));
    const ssh = new Set(opts.enableSsh ? opts.jobs : []);
    const copies: Job[] = kept.map((j) => {
      const requires = (JSON.parse(j.requires) as Requirement[]).filter((r) => ids.has(r.job_id)).map((r) => ({ ...r, job_id: ids.get(r.job_id)! }));
      const base = { ...j, id: ids.get(j.id)!, workflow_id: newWorkflowId, requires: JSON.stringify(requires), created_at: now };
      if (!rerun.has(j.id)) return base;
      const config = ssh.has(j.id) ? JSON.stringify({ ...JSON.parse(j.config), [ENABLE_SSH_FIELD]: true }) : j.config;
      return {
        ...base,
        config,
        status: 'blocked',
        number: null,
        approval_request_id: null,
        approved_by: null,
        canceled_by: null,
        messages: '[]',
        queued_at: null,
        started_at: null,
        stopped_at: null,
      };
    });
    await insertJobs(trx, copies);
    await updatePipeline(trx, wf.pipeline_id, { updated_at: now });
    queued = (await advanceWorkflow(deps, trx, newWorkflowId)).queuedTasks;
  });
  if (queued > 0) deps.events.emit('tasks');
  return newWorkflowId;
}
