// Usage export jobs and the job history they export: one row per finished build job run of
// the organizations' projects in the date range, with its project, pipeline and workflow.
import type { Db } from './executor.ts';
import type { UsageExportsTable } from './schema.ts';
import { oldestFirst } from './order.ts';

export type UsageExport = UsageExportsTable;

export async function insertUsageExport(db: Db, row: UsageExport): Promise<void> {
  await db.insertInto('usage_exports').values(row).execute();
}

/** The export, only when it belongs to the organization. */
export async function getUsageExport(db: Db, organizationId: string, id: string): Promise<UsageExport | undefined> {
  return db.selectFrom('usage_exports').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
}

/**
 * Claims the oldest export waiting to be built (`created`, or `processing` whose lease has
 * lapsed: its server died) with a compare-and-set, so one worker builds it at a time.
 */
export async function claimUsageExport(db: Db, nowIso: string, leaseUntil: string): Promise<UsageExport | undefined> {
  for (let i = 0; i < 5; i++) {
    const next = await db
      .selectFrom('usage_exports')
      .selectAll()
      .where((eb) => eb.or([eb('state', '=', 'created'), eb.and([eb('state', '=', 'processing'), eb('lease_until', '<', nowIso)])]))
      .$call(oldestFirst)
      .limit(1)
      .executeTakeFirst();
    if (!next) return undefined;
    let q = db
      .updateTable('usage_exports')
      .set({ state: 'processing', lease_until: leaseUntil, attempts: next.attempts + 1, updated_at: nowIso })
      .where('id', '=', next.id)
      .where('state', '=', next.state);
    q = next.lease_until === null ? q.where('lease_until', 'is', null) : q.where('lease_until', '=', next.lease_until);
    const res = await q.executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) return { ...next, state: 'processing', lease_until: leaseUntil, attempts: next.attempts + 1 };
  }
  return undefined;
}

/** Finishes a claimed export, only while the claim (`lease_until`) is still the worker's. */
export async function finishUsageExport(
  db: Db,
  id: string,
  lease: string,
  result: { state: 'completed'; file_count: number; row_count: number } | { state: 'failed'; error_reason: string },
  nowIso: string,
): Promise<boolean> {
  const res = await db
    .updateTable('usage_exports')
    .set({ ...result, lease_until: null, updated_at: nowIso })
    .where('id', '=', id)
    .where('state', '=', 'processing')
    .where('lease_until', '=', lease)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export interface UsageRow {
  organization_id: string;
  organization_name: string;
  organization_created_at: string;
  project_id: string;
  project_name: string;
  project_created_at: string;
  vcs_type: string;
  vcs_url: string;
  branch: string | null;
  pipeline_id: string;
  pipeline_created_at: string;
  pipeline_number: number;
  trigger_type: string;
  trigger_actor_id: string | null;
  workflow_id: string;
  workflow_name: string;
  workflow_status: string;
  workflow_created_at: string;
  workflow_stopped_at: string | null;
  job_id: string;
  job_name: string;
  job_number: number | null;
  job_status: string;
  job_created_at: string;
  job_queued_at: string | null;
  job_started_at: string;
  job_stopped_at: string;
  resource_class: string;
  executor: string;
  parallelism: number;
}

/**
 * A page of the finished build job runs of these organizations that started in
 * [start, end), in start order, after the key [started_at, job id].
 */
export async function usageRows(db: Db, organizationIds: string[], start: string, end: string, limit: number, after?: [string, string]): Promise<UsageRow[]> {
  let q = db
    .selectFrom('jobs')
    .innerJoin('workflows', 'workflows.id', 'jobs.workflow_id')
    .innerJoin('pipelines', 'pipelines.id', 'jobs.pipeline_id')
    .innerJoin('projects', 'projects.id', 'jobs.project_id')
    .innerJoin('organizations', 'organizations.id', 'projects.organization_id')
    .select([
      'organizations.id as organization_id',
      'organizations.name as organization_name',
      'organizations.created_at as organization_created_at',
      'projects.id as project_id',
      'projects.name as project_name',
      'projects.created_at as project_created_at',
      'organizations.vcs_type as vcs_type',
      'projects.vcs_url as vcs_url',
      'pipelines.branch as branch',
      'pipelines.id as pipeline_id',
      'pipelines.created_at as pipeline_created_at',
      'pipelines.number as pipeline_number',
      'pipelines.trigger_type as trigger_type',
      'pipelines.trigger_actor_id as trigger_actor_id',
      'workflows.id as workflow_id',
      'workflows.name as workflow_name',
      'workflows.status as workflow_status',
      'workflows.created_at as workflow_created_at',
      'workflows.stopped_at as workflow_stopped_at',
      'jobs.id as job_id',
      'jobs.name as job_name',
      'jobs.number as job_number',
      'jobs.status as job_status',
      'jobs.created_at as job_created_at',
      'jobs.queued_at as job_queued_at',
      'jobs.started_at as job_started_at',
      'jobs.stopped_at as job_stopped_at',
      'jobs.resource_class as resource_class',
      'jobs.executor as executor',
      'jobs.parallelism as parallelism',
    ])
    .where('organizations.id', 'in', organizationIds)
    .where('jobs.type', '=', 'build')
    .where('jobs.started_at', 'is not', null)
    .where('jobs.stopped_at', 'is not', null)
    .where('jobs.started_at', '>=', start)
    .where('jobs.started_at', '<', end);
  if (after) {
    const [at, id] = after;
    q = q.where((eb) => eb.or([eb('jobs.started_at', '>', at), eb.and([eb('jobs.started_at', '=', at), eb('jobs.id', '>', id)])]));
  }
  return (await q.orderBy('jobs.started_at').orderBy('jobs.id').limit(limit).execute()) as UsageRow[];
}

/** The first job start and stop of each of these workflows (for WORKFLOW_FIRST_JOB_* columns). */
export async function workflowFirstJobs(db: Db, workflowIds: string[]): Promise<Map<string, { queued_at: string | null; started_at: string | null }>> {
  const out = new Map<string, { queued_at: string | null; started_at: string | null }>();
  if (workflowIds.length === 0) return out;
  const rows = await db
    .selectFrom('jobs')
    .select(['workflow_id', (eb) => eb.fn.min('queued_at').as('queued_at'), (eb) => eb.fn.min('started_at').as('started_at')])
    .where('workflow_id', 'in', workflowIds)
    .where('type', '=', 'build')
    .groupBy('workflow_id')
    .execute();
  for (const r of rows) out.set(r.workflow_id, { queued_at: (r.queued_at as string | null) ?? null, started_at: (r.started_at as string | null) ?? null });
  return out;
}
