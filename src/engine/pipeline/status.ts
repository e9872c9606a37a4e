// Pure status rules: job status from its parallel runs, dependency evaluation, and the
// workflow status derived from its jobs. No I/O; table-tested.

import type { JobStatus, TaskStatus, WorkflowStatus } from '../../domain/statuses.ts';

export type { JobStatus, TaskStatus, WorkflowStatus };

/** Statuses a `requires` entry may name (`terminal` is expanded to all five when parsed). */
export type RequiredStatus = 'success' | 'failed' | 'canceled' | 'unauthorized' | 'not_run';
export const REQUIRED_STATUSES: readonly RequiredStatus[] = ['success', 'failed', 'canceled', 'unauthorized', 'not_run'];

export const TERMINAL_TASK = new Set<string>(['success', 'failed', 'infrastructure_fail', 'timedout', 'canceled']);
export const TERMINAL_JOB = new Set<string>(['success', 'failed', 'infrastructure_fail', 'timedout', 'canceled', 'not_run', 'unauthorized']);
export const TERMINAL_WORKFLOW = new Set<string>(['failed', 'success', 'canceled', 'error', 'not_run', 'unauthorized']);
const FAILED_LIKE = new Set<string>(['failed', 'infrastructure_fail', 'timedout']);

export function isTerminalJob(status: string): boolean {
  return TERMINAL_JOB.has(status);
}

/**
 * A job's status from its parallel runs: running while any run is; when all are done the
 * worst outcome wins (failed > timedout > infrastructure_fail > canceled > success).
 */
export function jobStatusFromTasks(tasks: readonly string[]): JobStatus {
  if (tasks.length === 0) return 'queued';
  if (tasks.some((t) => !TERMINAL_TASK.has(t))) return tasks.some((t) => t !== 'queued') ? 'running' : 'queued';
  for (const worst of ['failed', 'timedout', 'infrastructure_fail', 'canceled'] as const) if (tasks.includes(worst)) return worst;
  return 'success';
}

/**
 * How a finished dependency counts against a `requires` status list: infrastructure_fail
 * and timedout count as `failed`, as in CircleCI.
 */
export function requiredStatusOf(status: string): RequiredStatus | undefined {
  if (status === 'success') return 'success';
  if (FAILED_LIKE.has(status)) return 'failed';
  if (status === 'canceled' || status === 'unauthorized' || status === 'not_run') return status;
  return undefined;
}

export type Readiness = 'wait' | 'ready' | 'never';

/**
 * Whether a blocked job may start: `ready` when every dependency finished with an allowed
 * status, `never` as soon as one finished with a status it does not allow, else `wait`.
 */
export function readiness(deps: readonly { status: string; allowed: readonly RequiredStatus[] }[]): Readiness {
  let waiting = false;
  for (const d of deps) {
    if (!isTerminalJob(d.status)) {
      waiting = true;
      continue;
    }
    const as = requiredStatusOf(d.status);
    if (!as || !d.allowed.includes(as)) return 'never';
  }
  return waiting ? 'wait' : 'ready';
}

/**
 * The workflow status from its jobs, as CircleCI reports it:
 * - `error` when the workflow errored, `canceled` as soon as it was canceled;
 * - while work remains: `failing` once a job failed (or was unauthorized), `on_hold` when
 *   only approvals (and jobs blocked behind them) wait, else `running`;
 * - once every job is done: `unauthorized` > `canceled` > `failed` > `not_run` > `success`
 *   (a canceled job makes the workflow canceled even when another failed, as CircleCI does).
 */
export function workflowStatus(jobs: readonly string[], opts: { canceled?: boolean; errored?: boolean } = {}): WorkflowStatus {
  if (opts.errored) return 'error';
  if (opts.canceled) return 'canceled';
  if (jobs.length === 0) return 'not_run';
  const failing = jobs.some((s) => FAILED_LIKE.has(s) || s === 'unauthorized');
  const active = jobs.filter((s) => !isTerminalJob(s));
  if (active.length > 0) {
    if (failing) return 'failing';
    if (active.every((s) => s === 'on_hold' || s === 'blocked') && active.some((s) => s === 'on_hold')) return 'on_hold';
    return 'running';
  }
  if (jobs.includes('unauthorized')) return 'unauthorized';
  if (jobs.includes('canceled')) return 'canceled';
  if (failing) return 'failed';
  if (jobs.every((s) => s === 'not_run')) return 'not_run';
  return 'success';
}
