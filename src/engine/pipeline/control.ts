// User actions on running work: cancel a workflow or a job, approve an approval job.
import { nowIso } from '../../domain/clock.ts';
import { CircletError } from '../../domain/errors.ts';
import { type Db, inTransaction } from '../../storage/executor.ts';
import { getJob, jobsOfWorkflow, updateJob, type Job } from '../../storage/jobs.ts';
import { getWorkflow, lockWorkflow, updateWorkflow } from '../../storage/workflows.ts';
import { advanceWorkflow } from './advance.ts';
import type { EngineDeps } from '../deps.ts';
import { isTerminalJob } from './status.ts';
import { recordCompletions, WEBHOOKS_EVENT } from '../services/webhooks.ts';
import { cancelTasksOfJob } from '../../storage/tasks.ts';

/**
 * Cancels one job. Queued runs stop at once; running ones are asked to stop (the agent
 * hears it on its next heartbeat or cancellation poll) and the job becomes `canceled` when
 * the agent reports it, as CircleCI records a cancel only once the job has stopped. A
 * blocked job is left to the workflow (it becomes `not_run`) when `blockedToo` is false.
 * Returns whether a running task must be signalled.
 */
async function cancelJobRecord(deps: EngineDeps, trx: Db, job: Job, userId: string | null, blockedToo: boolean): Promise<boolean> {
  if (isTerminalJob(job.status)) return false;
  if (job.status === 'blocked' && !blockedToo) return false;
  const now = nowIso(deps.now());
  const running = await cancelTasksOfJob(trx, job.id, now);
  const changes: Partial<Job> = { canceled_by: userId };
  if (running.length === 0) Object.assign(changes, { status: 'canceled', stopped_at: now });
  await updateJob(trx, job.id, changes);
  return running.length > 0;
}

export async function cancelWorkflow(deps: EngineDeps, workflowId: string, userId: string | null): Promise<void> {
  let signal = false;
  let hooks = 0;
  await inTransaction(deps.database.db, async (trx) => {
    const wf = await lockWorkflow(trx, workflowId);
    if (!wf) throw new CircletError('WORKFLOW_NOT_FOUND');
    const jobs = await jobsOfWorkflow(trx, workflowId);
    if (jobs.every((j) => isTerminalJob(j.status))) return;
    await updateWorkflow(trx, workflowId, { canceled_by: userId ?? '00000000-0000-0000-0000-000000000000' });
    for (const j of jobs) if (await cancelJobRecord(deps, trx, j, userId, false)) signal = true;
    const result = await advanceWorkflow(deps, trx, workflowId);
    // Jobs canceled here are terminal before the advance: report them too.
    hooks = await recordCompletions(deps, trx, workflowId, result.finished !== undefined, [...jobs.map((j) => j.id), ...result.finishedJobs]);
  });
  if (signal) deps.events.emit('cancel');
  if (hooks > 0) deps.events.emit(WEBHOOKS_EVENT);
}

export async function cancelJob(deps: EngineDeps, jobId: string, userId: string | null): Promise<void> {
  let signal = false;
  let queued = 0;
  let hooks = 0;
  await inTransaction(deps.database.db, async (trx) => {
    const found = await getJob(trx, jobId);
    if (!found) throw new CircletError('JOB_NOT_FOUND');
    await lockWorkflow(trx, found.workflow_id);
    const job = (await getJob(trx, jobId))!;
    signal = await cancelJobRecord(deps, trx, job, userId, true);
    const result = await advanceWorkflow(deps, trx, job.workflow_id);
    queued = result.queuedTasks;
    hooks = await recordCompletions(deps, trx, job.workflow_id, result.finished !== undefined, [job.id, ...result.finishedJobs]);
  });
  if (signal) deps.events.emit('cancel');
  if (queued > 0) deps.events.emit('tasks');
  if (hooks > 0) deps.events.emit(WEBHOOKS_EVENT);
}

export async function approveJob(deps: EngineDeps, workflowId: string, approvalRequestId: string, userId: string): Promise<void> {
  let queued = 0;
  let hooks = 0;
  await inTransaction(deps.database.db, async (trx) => {
    const wf = await getWorkflow(trx, workflowId);
    if (!wf) throw new CircletError('WORKFLOW_NOT_FOUND');
    await lockWorkflow(trx, workflowId);
    const jobs = await jobsOfWorkflow(trx, workflowId);
    const job = jobs.find((j) => j.type === 'approval' && (j.approval_request_id === approvalRequestId || j.id === approvalRequestId));
    if (!job) throw new CircletError('APPROVAL_REQUEST_NOT_FOUND');
    if (job.status !== 'on_hold') throw new CircletError('JOB_NOT_ON_HOLD', { status: job.status });
    const now = nowIso(deps.now());
    await updateJob(trx, job.id, { status: 'success', approved_by: userId, started_at: now, stopped_at: now });
    const result = await advanceWorkflow(deps, trx, workflowId);
    queued = result.queuedTasks;
    hooks = await recordCompletions(deps, trx, workflowId, result.finished !== undefined, result.finishedJobs);
  });
  if (queued > 0) deps.events.emit('tasks');
  if (hooks > 0) deps.events.emit(WEBHOOKS_EVENT);
}
