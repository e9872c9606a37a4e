// Insights queries: finished workflow and job runs of a window, by project, workflow name
// and branch (the pipeline's). Every query is bounded by a created_at window and reads the
// Insights copies of the runs (migration 0019: workflow and job runs with their branch, kept
// by triggers) through a covering index on (project_id[, name], created_at): a window is one
// contiguous index range, so its cost follows the window asked for, not the history kept.
// Rows come back narrow; metrics are computed by src/engine/insights*.
import { sql } from 'kysely';
import type { Db } from './executor.ts';

/** Workflow statuses Insights reports: finished runs (a run that never ran, `not_run`, is left out). */
export const FINISHED_WORKFLOW_STATUSES = ['success', 'failed', 'error', 'canceled', 'unauthorized'] as const;
/** Job statuses of finished job runs. */
export const FINISHED_JOB_STATUSES = ['success', 'failed', 'infrastructure_fail', 'timedout', 'canceled', 'unauthorized'] as const;

export interface WorkflowRunFilter {
  projectIds: string[];
  name?: string;
  /** Pipeline branch; undefined for all branches. */
  branch?: string;
  /** created_at window, [from, to). */
  from: string;
  to: string;
}

export interface WorkflowRunRow {
  id: string;
  project_id: string;
  name: string;
  status: string;
  branch: string | null;
  created_at: string;
  stopped_at: string;
}

function workflowRuns(db: Db, f: WorkflowRunFilter) {
  let q = db
    .selectFrom('insights_workflow_runs as w')
    .where('w.project_id', 'in', f.projectIds)
    .where('w.created_at', '>=', f.from)
    .where('w.created_at', '<', f.to)
    .where('w.status', 'in', [...FINISHED_WORKFLOW_STATUSES])
    .where('w.stopped_at', 'is not', null)
    .where('w.tag', 'is', null);
  if (f.name !== undefined) q = q.where('w.name', '=', f.name);
  if (f.branch !== undefined) q = q.where('w.branch', '=', f.branch);
  return q;
}

const chunks = <T>(list: T[], size = 500): T[][] => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

const WORKFLOW_RUN_COLUMNS = ['w.workflow_id as id', 'w.project_id', 'w.name', 'w.status', 'w.branch', 'w.created_at', 'w.stopped_at'] as const;

/** Finished (non-setup) workflow runs created in the window, oldest first. */
export async function finishedWorkflowRuns(db: Db, f: WorkflowRunFilter): Promise<WorkflowRunRow[]> {
  if (f.projectIds.length === 0) return [];
  const rows = await workflowRuns(db, f)
    .select([...WORKFLOW_RUN_COLUMNS])
    .orderBy('w.created_at')
    .orderBy('w.workflow_id')
    .execute();
  return rows as WorkflowRunRow[];
}

export interface WorkflowRunPageRow extends WorkflowRunRow {
  approvals: number;
}

/**
 * A page of a workflow's finished runs, newest first, before the keyset `before`; fetches
 * `limit + 1`. Their approval jobs are counted in one grouped lookup of the page's ids in the
 * partial index of approval jobs (migration 0029), not by a lookup per run in the index of every
 * job, which deepened with the history.
 */
export async function workflowRunPage(db: Db, f: WorkflowRunFilter, limit: number, before?: [string, string]): Promise<WorkflowRunPageRow[]> {
  let q = workflowRuns(db, f).select([...WORKFLOW_RUN_COLUMNS]);
  if (before) {
    const [at, id] = before;
    q = q.where((eb) => eb.or([eb('w.created_at', '<', at), eb.and([eb('w.created_at', '=', at), eb('w.workflow_id', '<', id)])]));
  }
  const rows = (await q.orderBy('w.created_at', 'desc').orderBy('w.workflow_id', 'desc').limit(limit + 1).execute()) as WorkflowRunRow[];
  if (rows.length === 0) return [];
  const approvals = new Map<string, number>();
  for (const ids of chunks(rows.map((r) => r.id))) {
    const counts = await db
      .selectFrom('jobs')
      .select((eb) => ['workflow_id', eb.fn.countAll<number>().as('n')])
      // A literal, so SQLite can use the partial index (its condition is type = 'approval').
      .where('type', '=', sql.lit('approval'))
      .where('workflow_id', 'in', ids)
      .groupBy('workflow_id')
      .execute();
    for (const c of counts) approvals.set(c.workflow_id, Number(c.n));
  }
  return rows.map((r) => ({ ...r, approvals: approvals.get(r.id) ?? 0 }));
}

export interface JobRunRow {
  id: string;
  name: string;
  status: string;
  branch: string | null;
  workflow_id: string;
  created_at: string;
  started_at: string | null;
  stopped_at: string;
}

/** Finished build jobs of a workflow's (finished or not) runs created in the window, oldest first. */
export async function finishedJobRuns(db: Db, f: WorkflowRunFilter & { jobName?: string }): Promise<JobRunRow[]> {
  if (f.projectIds.length === 0) return [];
  let q = db
    .selectFrom('insights_job_runs as j')
    .where('j.project_id', 'in', f.projectIds)
    .where('j.workflow_created_at', '>=', f.from)
    .where('j.workflow_created_at', '<', f.to)
    .where('j.workflow_tag', 'is', null)
    .where('j.type', '=', 'build')
    .where('j.status', 'in', [...FINISHED_JOB_STATUSES])
    .where('j.stopped_at', 'is not', null);
  if (f.name !== undefined) q = q.where('j.workflow_name', '=', f.name);
  if (f.branch !== undefined) q = q.where('j.branch', '=', f.branch);
  if (f.jobName !== undefined) q = q.where('j.name', '=', f.jobName);
  const rows = await q
    .select(['j.job_id as id', 'j.name', 'j.status', 'j.branch', 'j.workflow_id', 'j.created_at', 'j.started_at', 'j.stopped_at'])
    .orderBy('j.created_at')
    .orderBy('j.job_id')
    .execute();
  return rows as JobRunRow[];
}

/** Branches of a project's (non-setup) workflows created since `from`, sorted, at most `limit`. */
export async function insightsBranches(db: Db, projectId: string, from: string, workflowName: string | undefined, limit = 5000): Promise<string[]> {
  let q = db
    .selectFrom('insights_workflow_runs as w')
    .select('w.branch')
    .distinct()
    .where('w.project_id', '=', projectId)
    .where('w.created_at', '>=', from)
    .where('w.tag', 'is', null)
    .where('w.branch', 'is not', null);
  if (workflowName !== undefined) q = q.where('w.name', '=', workflowName);
  const rows = await q.orderBy('w.branch').limit(limit).execute();
  return rows.map((r) => r.branch!);
}

/** Names of a project's (non-setup) workflows created since `from`, sorted. */
export async function insightsWorkflowNames(db: Db, projectIds: string[], from: string): Promise<string[]> {
  if (projectIds.length === 0) return [];
  const rows = await db
    .selectFrom('insights_workflow_runs')
    .select('name')
    .distinct()
    .where('project_id', 'in', projectIds)
    .where('created_at', '>=', from)
    .where('tag', 'is', null)
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name);
}

export interface TestRunRow {
  workflow_id: string;
  workflow_name: string;
  workflow_created_at: string;
  pipeline_number: number;
  revision: string | null;
  job_name: string;
  job_number: number | null;
  name: string;
  classname: string;
  file: string;
  source: string;
  result: string;
  run_time: number;
  created_at: string;
}

const TEST_RUN_COLUMNS = [
  'workflow_id',
  'workflow_name',
  'workflow_created_at',
  'pipeline_number',
  'revision',
  'job_name',
  'job_number',
  'name',
  'classname',
  'file',
  'source',
  'result',
  'run_time',
  'created_at',
] as const;

/** insights_test_runs' integers and reals as numbers (PostgreSQL's driver returns some as strings). */
const testRunRow = (r: TestRunRow): TestRunRow => ({
  ...r,
  pipeline_number: Number(r.pipeline_number),
  job_number: r.job_number === null ? null : Number(r.job_number),
  run_time: Number(r.run_time),
});

/**
 * Test results of the newest `limit` finished runs of a workflow (on a branch, or all), newest
 * run first. The runs come without workflowRunPage's approval counts, which test metrics do not
 * use. Their results, with what they report of job, workflow and pipeline, are read from
 * insights_test_runs (migration 0030): the runs of one branch are one range of its index by
 * (project, workflow name, branch, workflow creation), from the oldest run to the newest, so
 * the call costs one descent, not a lookup by id per run, job and result in indexes that deepen
 * with the history. Without a branch, each branch of the runs is a range.
 */
export async function testRunsOfRecentWorkflows(db: Db, f: Omit<WorkflowRunFilter, 'projectIds'> & { projectId: string }, limit = 10): Promise<{ runs: WorkflowRunRow[]; tests: TestRunRow[] }> {
  const runs = (await workflowRuns(db, { ...f, projectIds: [f.projectId] })
    .select([...WORKFLOW_RUN_COLUMNS])
    .orderBy('w.created_at', 'desc')
    .orderBy('w.workflow_id', 'desc')
    .limit(limit)
    .execute()) as WorkflowRunRow[];
  if (runs.length === 0) return { runs, tests: [] };
  const groups = new Map<string, WorkflowRunRow[]>();
  for (const r of runs) {
    const key = JSON.stringify([r.name, r.branch]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const tests: (TestRunRow & { test_id: string })[] = [];
  for (const group of groups.values()) {
    const branch = group[0]!.branch;
    const rows = await db
      .selectFrom('insights_test_runs')
      .select([...TEST_RUN_COLUMNS, 'test_id'])
      .where('project_id', '=', f.projectId)
      .where('workflow_name', '=', group[0]!.name)
      .where('branch', branch === null ? 'is' : '=', branch)
      // Newest first: the group's last run is its oldest.
      .where('workflow_created_at', '>=', group[group.length - 1]!.created_at)
      .where('workflow_created_at', '<=', group[0]!.created_at)
      .where(
        'workflow_id',
        'in',
        group.map((r) => r.id),
      )
      .execute();
    tests.push(...rows);
  }
  tests.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.test_id < b.test_id ? -1 : a.test_id > b.test_id ? 1 : 0));
  return { runs, tests: tests.map(({ test_id: _, ...t }) => testRunRow(t)) };
}

/**
 * A project's test results recorded since `from` (jobs of any branch), oldest first, with their
 * runs: one range of insights_test_runs (migration 0029), which holds each result with its job,
 * workflow and pipeline, not a lookup by id in each of those tables for every result.
 */
export async function testRunsOfProject(db: Db, projectId: string, from: string): Promise<TestRunRow[]> {
  const rows = await db
    .selectFrom('insights_test_runs')
    .select([...TEST_RUN_COLUMNS])
    .where('project_id', '=', projectId)
    .where('created_at', '>=', from)
    .orderBy('created_at')
    .orderBy('test_id')
    .execute();
  return rows.map(testRunRow);
}
