// v1.1 builds as the API shows them: the project a v1.1 path names, a build by number, and
// what the presenters need for each build (loaded in a few queries).
import type { FastifyRequest } from 'fastify';
import { CircletError } from '../../../domain/errors.ts';
import { parseNumberSegment } from '../../../domain/numbers.ts';
import type { JobStatus } from '../../../domain/statuses.ts';
import type { Job } from '../../../storage/jobs.ts';
import { buildByNumber as buildByNumberRow, previousBuild as previousBuildRow, retriedBuildNumber } from '../../../storage/builds.ts';
import { pipelinesByIds, type Pipeline } from '../../../storage/pipelines.ts';
import { getProject, type ProjectWithOrg } from '../../../storage/projects.ts';
import { getUser, usersByIds, type User } from '../../../storage/users.ts';
import { workflowsByIds, type Workflow } from '../../../storage/workflows.ts';
import type { HttpDeps } from '../../deps.ts';
import { requireProject } from '../../project-access.ts';
import { buildDetail, buildSummary, v1Status, type BuildContext } from '../presenters/build.ts';
import { v1BuildSteps } from './step-output.ts';

/** The job statuses of v1.1's build `filter` values. */
export const BUILD_FILTERS = {
  completed: ['success', 'failed', 'infrastructure_fail', 'timedout', 'canceled'],
  successful: ['success'],
  failed: ['failed', 'infrastructure_fail', 'timedout'],
  running: ['queued', 'running'],
} as const satisfies Record<string, readonly JobStatus[]>;

export type BuildFilter = keyof typeof BUILD_FILTERS;

export interface V1Params {
  vcs: string;
  org: string;
  repo: string;
}

/** v1.1 names projects `:vcs-type/:username/:project`, vcs-type github (gh) or bitbucket (bb). */
const V1_VCS = new Set(['gh', 'github', 'bb', 'bitbucket']);

export async function requireV1Project(deps: HttpDeps, req: FastifyRequest, p: V1Params): Promise<ProjectWithOrg> {
  if (!V1_VCS.has(p.vcs.toLowerCase())) throw new CircletError('PROJECT_NOT_FOUND');
  return requireProject(deps, req, { provider: p.vcs, organization: p.org, project: p.repo });
}

export const v1ProjectParams = {
  type: 'object',
  properties: { vcs: { type: 'string' }, org: { type: 'string' }, repo: { type: 'string' } },
  required: ['vcs', 'org', 'repo'],
} as const;



export async function buildByNumber(deps: HttpDeps, project: ProjectWithOrg, raw: string): Promise<Job> {
  const n = parseNumberSegment(raw);
  const job = n !== undefined ? await buildByNumberRow(deps.database.db, project.id, n) : undefined;
  if (!job) throw new CircletError('BUILD_NOT_FOUND');
  return job;
}

/** The latest build of the same job on the same branch before `job` (optionally a successful one). */
async function previousBuild(deps: HttpDeps, job: Job, branch: string | null, successOnly = false): Promise<BuildContext['previous']> {
  const prev = await previousBuildRow(deps.database.db, job, branch, successOnly);
  if (!prev) return null;
  const millis = prev.started_at && prev.stopped_at ? Date.parse(prev.stopped_at) - Date.parse(prev.started_at) : null;
  return { build_num: prev.number!, status: v1Status(prev.status).status, build_time_millis: millis };
}

/** The build a rerun job retried: the same job in the previous run of its workflow. */
async function retriedBuild(deps: HttpDeps, job: Job, workflow: Workflow): Promise<number | null> {
  if (workflow.rerun_of === null) return null;
  const number = await retriedBuildNumber(deps.database.db, job, workflow);
  return number !== null && number !== job.number ? number : null;
}

/** What the presenters need for each job, loaded in a few queries. */
export async function buildContexts(deps: HttpDeps, jobs: Job[]): Promise<BuildContext[]> {
  if (jobs.length === 0) return [];
  const db = deps.database.db;
  const uniq = (xs: string[]) => [...new Set(xs)];
  const workflows = new Map(
    (await workflowsByIds(db, uniq(jobs.map((j) => j.workflow_id)))).map((w) => [w.id, w] as [string, Workflow]),
  );
  const pipelines = new Map(
    (await pipelinesByIds(db, uniq(jobs.map((j) => j.pipeline_id)))).map((p) => [p.id, p] as [string, Pipeline]),
  );
  const projects = new Map<string, ProjectWithOrg>();
  for (const id of uniq(jobs.map((j) => j.project_id))) {
    const p = await getProject(deps.database.db, id);
    if (p) projects.set(id, p);
  }
  const userIds = uniq([...workflows.values()].map((w) => w.started_by));
  const users = new Map((await usersByIds(db, userIds)).map((u) => [u.id, u] as [string, User]));
  return Promise.all(
    jobs.map(async (job) => {
      const workflow = workflows.get(job.workflow_id)!;
      const pipeline = pipelines.get(job.pipeline_id)!;
      return {
        job,
        workflow,
        pipeline,
        project: projects.get(job.project_id)!,
        user: users.get(workflow.started_by),
        previous: await previousBuild(deps, job, pipeline.branch),
        retryOf: await retriedBuild(deps, job, workflow),
        baseUrl: deps.engine.baseUrl,
      };
    }),
  );
}

export async function presentSummary(deps: HttpDeps, job: Job) {
  const [ctx] = await buildContexts(deps, [job]);
  return buildSummary(ctx!);
}

export async function presentDetail(deps: HttpDeps, job: Job) {
  const [ctx] = await buildContexts(deps, [job]);
  const canceler = job.canceled_by ? await getUser(deps.database.db, job.canceled_by) : undefined;
  return buildDetail(ctx!, { canceler, previousSuccessful: await previousBuild(deps, job, ctx!.pipeline.branch, true), steps: await v1BuildSteps(deps, job) });
}
