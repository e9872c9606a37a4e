// v1.1 builds: numbered jobs, each once. A workflow rerun copies the jobs it does not run
// again with their numbers, so a number may appear on several rows; the first row (the
// oldest, which holds the run's tasks and outputs) is the build.
import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { JobStatus } from '../domain/statuses.ts';
import type { Db } from './executor.ts';
import type { Job } from './jobs.ts';
import type { Schema } from './schema.ts';
import type { Workflow } from './workflows.ts';

type JobsQuery = SelectQueryBuilder<Schema, 'jobs' | 'pipelines', Job>;

function numberedJobs(db: Db): JobsQuery {
  return db
    .selectFrom('jobs')
    .innerJoin('pipelines', 'pipelines.id', 'jobs.pipeline_id')
    .selectAll('jobs')
    .where('jobs.number', 'is not', null)
    .where((eb: ExpressionBuilder<Schema, 'jobs' | 'pipelines'>) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('jobs as o')
            .select('o.id')
            .whereRef('o.project_id', '=', 'jobs.project_id')
            .whereRef('o.number', '=', 'jobs.number')
            .where((o) => o.or([o('o.created_at', '<', o.ref('jobs.created_at')), o.and([o('o.created_at', '=', o.ref('jobs.created_at')), o('o.id', '<', o.ref('jobs.id'))])])),
        ),
      ),
    ) as JobsQuery;
}

export async function buildByNumber(db: Db, projectId: string, number: number): Promise<Job | undefined> {
  return numberedJobs(db).where('jobs.project_id', '=', projectId).where('jobs.number', '=', number).executeTakeFirst();
}

/** The latest build of the same job on `branch` before `job`, optionally a successful one. */
export async function previousBuild(db: Db, job: Job, branch: string | null, successOnly: boolean): Promise<Job | undefined> {
  let q = numberedJobs(db)
    .where('jobs.project_id', '=', job.project_id)
    .where('jobs.name', '=', job.name)
    .where('jobs.number', '<', job.number!)
    .where('pipelines.branch', branch === null ? 'is' : '=', branch);
  if (successOnly) q = q.where('jobs.status', '=', 'success');
  return q.orderBy('jobs.number', 'desc').limit(1).executeTakeFirst();
}

/** The number of the same job in the run of its workflow before `workflow` (a rerun's original). */
export async function retriedBuildNumber(db: Db, job: Job, workflow: Workflow): Promise<number | null> {
  const row = await db
    .selectFrom('jobs')
    .innerJoin('workflows', 'workflows.id', 'jobs.workflow_id')
    .select('jobs.number')
    .where('workflows.pipeline_id', '=', workflow.pipeline_id)
    .where('workflows.name', '=', workflow.name)
    .where('workflows.created_at', '<', workflow.created_at)
    .where('jobs.name', '=', job.name)
    .where('jobs.number', 'is not', null)
    .orderBy('workflows.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.number ?? null;
}

export interface BuildListQuery {
  branch?: string;
  statuses?: readonly JobStatus[];
  limit: number;
  offset: number;
}

/** Builds of the projects of these organizations, newest queued first. */
export async function recentBuilds(db: Db, organizationIds: string[], page: { limit: number; offset: number }): Promise<Job[]> {
  if (organizationIds.length === 0) return [];
  return numberedJobs(db)
    .where('jobs.project_id', 'in', (eb) => eb.selectFrom('projects').select('projects.id').where('projects.organization_id', 'in', organizationIds))
    .orderBy('jobs.queued_at', 'desc')
    .orderBy('jobs.number', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

/** Builds of one project (optionally one branch, some statuses), highest number first. */
export async function projectBuilds(db: Db, projectId: string, q: BuildListQuery): Promise<Job[]> {
  let sel = numberedJobs(db).where('jobs.project_id', '=', projectId);
  if (q.branch !== undefined) sel = sel.where('pipelines.branch', '=', q.branch);
  if (q.statuses) sel = sel.where('jobs.status', 'in', [...q.statuses]);
  return sel.orderBy('jobs.number', 'desc').limit(q.limit).offset(q.offset).execute();
}

/** The numbered job of a project with the highest number (optionally one branch) among `statuses`. */
export async function latestNumberedJob(db: Db, projectId: string, q: { branch?: string; statuses: readonly JobStatus[] }): Promise<Job | undefined> {
  let sel = db
    .selectFrom('jobs')
    .innerJoin('pipelines', 'pipelines.id', 'jobs.pipeline_id')
    .selectAll('jobs')
    .where('jobs.project_id', '=', projectId)
    .where('jobs.number', 'is not', null);
  if (q.branch) sel = sel.where('pipelines.branch', '=', q.branch);
  return sel.where('jobs.status', 'in', [...q.statuses]).orderBy('jobs.number', 'desc').limit(1).executeTakeFirst();
}

/** The numbered jobs a pipeline started, by number. */
export async function numberedJobsOfPipeline(db: Db, pipelineId: string): Promise<Job[]> {
  return db.selectFrom('jobs').selectAll().where('pipeline_id', '=', pipelineId).where('number', 'is not', null).orderBy('number').execute();
}
