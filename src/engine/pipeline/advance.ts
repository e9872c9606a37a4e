// Moves a workflow forward after something changed: unblocks jobs whose requirements are
// met, marks jobs that can never run, queues runnable jobs as tasks, and derives the
// workflow's status. Runs inside a transaction holding the workflow's lock.
import { newId, nowIso } from '../../domain/clock.ts';
import type { Db } from '../../storage/executor.ts';
import { insertTasks, jobsOfWorkflow, tasksOfJobs, updateJob, type Job, type Task } from '../../storage/jobs.ts';
import { getPipeline, updatePipeline, type Pipeline } from '../../storage/pipelines.ts';
import { getProject, type ProjectWithOrg } from '../../storage/projects.ts';
import { lockWorkflow, updateWorkflow, type Workflow } from '../../storage/workflows.ts';
import { reserveJobNumbers } from '../../storage/counters.ts';
import { findResourceClass } from '../../storage/resource-classes.ts';
import { authorizeContexts } from './contexts.ts';
import type { EngineDeps } from '../deps.ts';
import { isTerminalJob, jobStatusFromTasks, readiness, TERMINAL_WORKFLOW, workflowStatus, type RequiredStatus } from './status.ts';

export interface AdvanceResult {
  queuedTasks: number;
  /** The workflow's status when this advance finished it, else undefined. */
  finished?: string;
  /** Jobs that reached a terminal status during this advance. */
  finishedJobs: string[];
}

export interface Requirement {
  job_id: string;
  name: string;
  statuses: RequiredStatus[];
}

/** What a caller that just created a workflow already holds, so advancing it reads nothing. */
export interface KnownWorkflow {
  workflow: Workflow;
  /** Its jobs, none of them with tasks yet. */
  jobs: Job[];
  pipeline: Pipeline;
  project: ProjectWithOrg;
}

/**
 * Advances one workflow; `trx` must be a transaction. `known` is for a workflow created in
 * this same transaction (its row lock is ours already): its rows are not read back.
 */
export async function advanceWorkflow(deps: EngineDeps, trx: Db, workflowId: string, known?: KnownWorkflow): Promise<AdvanceResult> {
  const result: AdvanceResult = { queuedTasks: 0, finishedJobs: [] };
  const wf = known ? known.workflow : await lockWorkflow(trx, workflowId);
  if (!wf) return result;
  const jobs = known ? known.jobs.map((j) => ({ ...j })) : await jobsOfWorkflow(trx, workflowId);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const now = nowIso(deps.now());

  // Running jobs: status follows their tasks (unless already terminal, e.g. canceled).
  const tasks = known
    ? []
    : await tasksOfJobs(
        trx,
        jobs.filter((j) => j.status === 'queued' || j.status === 'running').map((j) => j.id),
      );
  const tasksByJob = new Map<string, Task[]>();
  for (const t of tasks) tasksByJob.set(t.job_id, [...(tasksByJob.get(t.job_id) ?? []), t]);
  for (const j of jobs) {
    if (j.status !== 'queued' && j.status !== 'running') continue;
    const ts = tasksByJob.get(j.id) ?? [];
    const status = jobStatusFromTasks(ts.map((t) => t.status));
    if (status === j.status) continue;
    const changes: Partial<Job> = { status };
    if (status !== 'queued' && !j.started_at) changes.started_at = ts.map((t) => t.started_at).filter(Boolean).sort()[0] ?? now;
    if (isTerminalJob(status)) {
      changes.stopped_at = now;
      const notes = ts.filter((t) => t.message).map((t) => ({ type: 'info', message: ts.length > 1 ? `parallel run ${t.node_index}: ${t.message}` : t.message! }));
      if (notes.length > 0) changes.messages = JSON.stringify([...JSON.parse(j.messages), ...notes]);
      result.finishedJobs.push(j.id);
    }
    Object.assign(j, changes);
    await updateJob(trx, j.id, changes);
  }

  let pipelineCtx: Awaited<ReturnType<typeof loadPipelineContext>> | undefined = known
    ? { pipeline: known.pipeline, project: known.project, scoped: trx }
    : undefined;
  for (let changed = true; changed; ) {
    changed = false;
    for (const j of jobs) {
      if (j.status !== 'blocked') continue;
      const reqs = JSON.parse(j.requires) as Requirement[];
      const r = readiness(reqs.map((q) => ({ status: byId.get(q.job_id)?.status ?? 'not_run', allowed: q.statuses })));
      if (r === 'wait') continue;
      changed = true;
      let changes: Partial<Job>;
      if (r === 'never' || wf.canceled_by !== null) {
        changes = { status: 'not_run', stopped_at: now };
      } else if (j.type === 'approval') {
        changes = { status: 'on_hold', approval_request_id: j.id };
      } else if (j.type === 'no-op') {
        changes = { status: 'success', started_at: now, stopped_at: now };
      } else {
        pipelineCtx ??= await loadPipelineContext(deps, trx, wf.pipeline_id);
        changes = await queueJob(deps, trx, j, pipelineCtx, now);
        if (changes.status === 'queued') result.queuedTasks += j.parallelism;
      }
      if (changes.status && isTerminalJob(changes.status)) result.finishedJobs.push(j.id);
      Object.assign(j, changes);
      await updateJob(trx, j.id, changes);
    }
  }

  const status = workflowStatus(
    jobs.map((j) => j.status),
    { canceled: wf.canceled_by !== null },
  );
  const wasTerminal = TERMINAL_WORKFLOW.has(wf.status);
  const terminal = TERMINAL_WORKFLOW.has(status) && jobs.every((j) => isTerminalJob(j.status));
  if (status !== wf.status || (terminal && !wf.stopped_at)) {
    await updateWorkflow(trx, wf.id, { status, stopped_at: terminal ? (wf.stopped_at ?? now) : null });
    await updatePipeline(trx, wf.pipeline_id, { updated_at: now });
    if (terminal && !wasTerminal) result.finished = status;
  }
  return result;
}

async function loadPipelineContext(deps: EngineDeps, trx: Db, pipelineId: string) {
  const pipeline = (await getPipeline(trx, pipelineId))!;
  const project = (await getProject(trx, pipeline.project_id))!;
  return { pipeline, project, scoped: trx };
}

/** Why a job's self-hosted resource class is refused: the same words whether it is unknown or another organization's. */
export function resourceClassMessage(name: string): string {
  return `Unauthorized: resource class "${name}" is not a resource class of this organization (create it with: circlet runner resource-class create ${name} --org <org>).`;
}

/** A runnable build job: checks its contexts, numbers it, and creates its parallel runs. */
async function queueJob(
  deps: EngineDeps,
  trx: Db,
  job: Job,
  ctx: Awaited<ReturnType<typeof loadPipelineContext>>,
  now: string,
): Promise<Partial<Job>> {
  // Numbered before the context check, so an unauthorized job can be looked up by number.
  const number = await reserveJobNumbers(trx, job.project_id, 1);
  const unauthorized = (message: string): Partial<Job> => {
    const messages = [...JSON.parse(job.messages), { type: 'error', message, reason: 'unauthorized' }];
    return { status: 'unauthorized', number, stopped_at: now, messages: JSON.stringify(messages) };
  };
  // A self-hosted class runs only for the organization that owns it (issue 18 item 5).
  if (job.resource_class.includes('/')) {
    const owner = await findResourceClass(trx, job.resource_class);
    if (owner?.organization_id !== ctx.project.organization_id) return unauthorized(resourceClassMessage(job.resource_class));
  }
  const names = JSON.parse(job.contexts) as string[];
  if (names.length > 0) {
    const auth = await authorizeContexts(ctx.scoped, deps.secrets, {
      organizationId: ctx.project.organization_id,
      projectId: ctx.project.id,
      contextNames: names,
      pipelineValues: JSON.parse(ctx.pipeline.pipeline_values),
      userId: ctx.pipeline.trigger_actor_id,
    });
    if (!auth.ok) return unauthorized(auth.message);
  }
  const tasks: Task[] = [];
  for (let i = 0; i < job.parallelism; i++) {
    tasks.push({
      id: newId(),
      job_id: job.id,
      node_index: i,
      status: 'queued',
      resource_class: job.resource_class,
      executor: job.executor,
      agent_id: null,
      lease_expires_at: null,
      cancel_requested: 0,
      queued_at: now,
      started_at: null,
      stopped_at: null,
      message: null,
    });
  }
  await insertTasks(trx, tasks);
  deps.events.noteQueued({ executor: job.executor, resource_class: job.resource_class });
  if (job.executor === 'macos' || job.executor === 'windows') {
    // Only agents on such machines advertise these executors: say why the job may wait.
    const os = job.executor === 'macos' ? 'macOS' : 'Windows';
    const note = { type: 'info', message: `This ${job.executor} job waits for an agent that runs ${job.executor} jobs (a circlet agent on a ${os} machine).` };
    return { status: 'queued', number, queued_at: now, messages: JSON.stringify([...JSON.parse(job.messages), note]) };
  }
  return { status: 'queued', number, queued_at: now };
}
