// API v1.1 builds: recent builds (all projects, one project, one branch), one build, and
// cancel / retry of a build. A v1.1 build is one numbered job of a workflow.
import { MAX_INT } from '../../domain/numbers.ts';
import type { FastifyInstance } from 'fastify';
import { getJob, jobOfWorkflowNamed, type Job } from '../../storage/jobs.ts';
import { projectBuilds as projectBuildRows, recentBuilds } from '../../storage/builds.ts';
import { organizationsOfUser } from '../../storage/organizations.ts';
import type { ProjectWithOrg } from '../../storage/projects.ts';
import type { HttpDeps } from '../deps.ts';
import { buildSummary } from './presenters/build.ts';
import { BUILD_FILTERS, buildByNumber, buildContexts, presentDetail, presentSummary, requireV1Project, v1ProjectParams, type BuildFilter, type V1Params } from './services/builds.ts';



const buildParams = {
  type: 'object',
  properties: { ...v1ProjectParams.properties, build_num: { type: 'string' } },
  required: ['vcs', 'org', 'repo', 'build_num'],
} as const;

/** Only a number reaches a build route: `…/envvar`, `…/checkout-key` and the like never do. */
const BUILD = '/project/:vcs/:org/:repo/:build_num(^\\d+$)';

/** A build whose agent has not yet heard of its cancel. */
const STOPPING = new Set(['queued', 'running']);


interface ListQuery {
  limit?: number;
  offset?: number;
  filter?: string;
  shallow?: boolean;
}

const listQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_INT },
    offset: { type: 'integer', minimum: 0, maximum: MAX_INT },
    filter: { type: 'string', enum: Object.keys(BUILD_FILTERS) },
    shallow: { type: 'boolean' },
  },
} as const;

/** `limit` defaults to 30 and is at most 100, as in CircleCI. */
const page = (q: ListQuery) => ({ limit: Math.min(q.limit ?? 30, 100), offset: q.offset ?? 0 });

export function v1BuildRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const summaries = async (rows: Job[]) => (await buildContexts(deps, rows)).map(buildSummary);

  app.get<{ Querystring: ListQuery }>('/recent-builds', { schema: { querystring: listQuery } }, async (req) => {
    const orgs = await organizationsOfUser(deps.database.db, req.user.id);
    if (orgs.length === 0) return [];
    return summaries(await recentBuilds(deps.database.db, orgs.map((o) => o.id), page(req.query)));
  });

  const projectBuilds = async (project: ProjectWithOrg, q: ListQuery, branch?: string) => {
    return summaries(await projectBuildRows(deps.database.db, project.id, { ...page(q), branch, statuses: q.filter ? BUILD_FILTERS[q.filter as BuildFilter] : undefined }));
  };

  app.get<{ Params: V1Params; Querystring: ListQuery }>(
    '/project/:vcs/:org/:repo',
    { schema: { params: v1ProjectParams, querystring: listQuery } },
    async (req) => projectBuilds(await requireV1Project(deps, req, req.params), req.query),
  );

  // The branch may contain slashes, url-encoded or not.
  app.get<{ Params: V1Params & { '*': string }; Querystring: ListQuery }>(
    '/project/:vcs/:org/:repo/tree/*',
    { schema: { querystring: listQuery } },
    async (req) => projectBuilds(await requireV1Project(deps, req, req.params), req.query, decodeURIComponent(req.params['*'])),
  );

  app.get<{ Params: V1Params & { build_num: string } }>(BUILD, { schema: { params: buildParams } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    return presentDetail(deps, await buildByNumber(deps, project, req.params.build_num));
  });

  app.post<{ Params: V1Params & { build_num: string } }>(`${BUILD}/cancel`, { schema: { params: buildParams } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    const job = await buildByNumber(deps, project, req.params.build_num);
    await deps.engine.cancelJob(job.id, req.user.id);
    const after = (await getJob(deps.database.db, job.id))!;
    // A running build stops when its agent hears; CircleCI answers it as canceled at once.
    return presentSummary(deps, STOPPING.has(after.status) ? { ...after, status: 'canceled' } : after);
  });

  // circlet's jobs cannot be entered over SSH: the build is answered (the documented
  // BuildDetail) and no access is granted (docs/compatibility.md).
  app.post<{ Params: V1Params & { build_num: string } }>(`${BUILD}/ssh-users`, { schema: { params: buildParams } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    return presentDetail(deps, await buildByNumber(deps, project, req.params.build_num));
  });

  app.post<{ Params: V1Params & { build_num: string } }>(`${BUILD}/retry`, { schema: { params: buildParams } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    const job = await buildByNumber(deps, project, req.params.build_num);
    const workflowId = await deps.engine.rerun(job.workflow_id, { jobs: [job.id] }, req.user.id);
    const retried = await jobOfWorkflowNamed(deps.database.db, workflowId, job.name);
    if (!retried) throw new Error(`the rerun workflow ${workflowId} holds no job ${job.name}`);
    return presentSummary(deps, retried);
  });
}
