// Insights tag: workflow, job and test metrics computed from stored history (see
// engine/insights.ts for the definitions). circlet bills nothing: every credit figure is 0.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { decodeOffsetToken, decodePageToken, encodePageToken } from '../../domain/paging.ts';
import { flakyTests, jobMetrics, jobTimeseries, orgSummary, projectPageData, workflowMetrics, workflowSummary } from '../../engine/insights/insights.ts';
import { REPORTING_WINDOWS, secondsBetween, type ReportingWindow } from '../../engine/insights/metrics.ts';
import { finishedJobRuns, insightsBranches, testRunsOfRecentWorkflows, workflowRunPage } from '../../storage/insights.ts';
import { findOrganization, getOrganization, isMember, type Organization } from '../../storage/organizations.ts';
import { projectsOfOrganizations, type ProjectWithOrg } from '../../storage/projects.ts';
import { UUID_RE } from '../../domain/clock.ts';
import type { HttpDeps } from '../deps.ts';
import { requireProject, type SlugParams } from '../project-access.ts';
import { projectSlugParams } from '../schemas/common.ts';
import { testMetrics } from '../../engine/insights/tests.ts';

const RUNS_PAGE = 100;
const DAY = 86_400_000;

type BranchQuery = { branch?: string; 'all-branches'?: boolean };
type WindowQuery = { 'reporting-window'?: ReportingWindow };

const windowProp = { 'reporting-window': { type: 'string', enum: [...REPORTING_WINDOWS] } } as const;
const branchProps = { branch: { type: 'string', minLength: 1 }, 'all-branches': { type: 'boolean' } } as const;
const pageProp = { 'page-token': { type: 'string' } } as const;
const workflowParams = { type: 'object', properties: { ...projectSlugParams.properties, workflowName: { type: 'string' } }, required: [...projectSlugParams.required, 'workflowName'] } as const;

/** The branch a request asks about: `branch`, all branches, or (by default) the project's default branch. */
function branchOf(project: ProjectWithOrg, q: BranchQuery): string | undefined {
  if (q.branch !== undefined && q['all-branches']) throw new CircletError('INSIGHTS_BRANCH_AND_ALL_BRANCHES');
  if (q['all-branches']) return undefined;
  return q.branch ?? project.default_branch;
}

function dateParam(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || !Number.isFinite(ms)) throw new CircletError('DATE_TIME_INVALID', { name });
  return new Date(ms);
}

/** A [from, to) window from start-date/end-date, within `maxDays` before now by default. */
function dateRange(q: { 'start-date'?: string; 'end-date'?: string }, maxDays: number): { from: string; to: string } {
  const now = Date.now();
  const end = dateParam(q['end-date'], 'end-date') ?? new Date(now);
  const start = dateParam(q['start-date'], 'start-date') ?? new Date(Math.min(end.getTime(), now) - maxDays * DAY);
  if (start.getTime() > end.getTime()) throw new CircletError('INSIGHTS_DATES_REVERSED');
  if (end.getTime() - start.getTime() > maxDays * DAY) throw new CircletError('INSIGHTS_RANGE_TOO_LONG', { max: maxDays });
  return { from: start.toISOString(), to: new Date(end.getTime() + 1).toISOString() };
}

function pageOffset(token: string | undefined): number {
  return decodeOffsetToken(token);
}

/** Offset paging over a computed list. */
function paged<T>(all: T[], token: string | undefined, size = 250) {
  const start = pageOffset(token);
  return { items: all.slice(start, start + size), next_page_token: start + size < all.length ? encodePageToken([start + size]) : null };
}

/** A query value given once or repeated, as a list (undefined when absent). */
function listParam(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).map(String).filter((s) => s.length > 0);
  return list.length ? list : undefined;
}

async function requireOrg(deps: HttpDeps, req: FastifyRequest, vcs: string | undefined, orgOrId: string): Promise<Organization> {
  let org: Organization | undefined;
  if (vcs === undefined) org = UUID_RE.test(orgOrId) ? await getOrganization(deps.database.db, orgOrId.toLowerCase()) : undefined;
  else {
    const type = vcs === 'gh' || vcs === 'github' ? 'github' : vcs === 'bb' || vcs === 'bitbucket' ? 'bitbucket' : undefined;
    org = type ? await findOrganization(deps.database.db, type, orgOrId) : undefined;
  }
  if (!org || !(await isMember(deps.database.db, org.id, req.user.id))) throw new CircletError('ORGANIZATION_NOT_FOUND');
  return org;
}

export function insightsRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tags = ['Insights'];
  const db = () => deps.database.db;
  const base = '/insights/:provider/:organization/:project';

  app.get<{ Params: SlugParams; Querystring: BranchQuery & WindowQuery & { 'page-token'?: string } }>(
    `${base}/workflows`,
    { schema: { tags, operationId: 'getProjectWorkflowMetrics', params: projectSlugParams, querystring: { type: 'object', properties: { ...branchProps, ...windowProp, ...pageProp } } } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const branch = branchOf(project, req.query);
      pageOffset(req.query['page-token']);
      const items = await workflowMetrics(db(), project.id, branch, req.query['reporting-window'] ?? 'last-90-days');
      return paged(items, req.query['page-token']);
    },
  );

  app.get<{ Params: SlugParams & { workflowName: string }; Querystring: BranchQuery & { 'page-token'?: string; 'start-date'?: string; 'end-date'?: string } }>(
    `${base}/workflows/:workflowName`,
    {
      schema: {
        tags,
        operationId: 'getProjectWorkflowRuns',
        params: workflowParams,
        querystring: { type: 'object', properties: { ...branchProps, ...pageProp, 'start-date': { type: 'string' }, 'end-date': { type: 'string' } } },
      },
    },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const branch = branchOf(project, req.query);
      const { from, to } = dateRange(req.query, 90);
      let before: [string, string] | undefined;
      if (req.query['page-token'] !== undefined) {
        const [at, id] = decodePageToken(req.query['page-token'], 2);
        before = [String(at), String(id)];
      }
      const rows = await workflowRunPage(db(), { projectIds: [project.id], name: req.params.workflowName, branch, from, to }, RUNS_PAGE, before);
      const items = rows.slice(0, RUNS_PAGE);
      return {
        items: items.map((r) => ({
          id: r.id,
          branch: r.branch ?? '',
          duration: secondsBetween(r.created_at, r.stopped_at),
          created_at: r.created_at,
          stopped_at: r.stopped_at,
          credits_used: 0,
          status: r.status,
          is_approval: r.approvals > 0,
        })),
        next_page_token: rows.length > RUNS_PAGE ? encodePageToken([items[items.length - 1]!.created_at, items[items.length - 1]!.id]) : null,
      };
    },
  );

  app.get<{ Params: SlugParams & { workflowName: string }; Querystring: BranchQuery & WindowQuery & { 'page-token'?: string; 'job-name'?: string } }>(
    `${base}/workflows/:workflowName/jobs`,
    {
      schema: {
        tags,
        operationId: 'getProjectWorkflowJobMetrics',
        params: workflowParams,
        querystring: { type: 'object', properties: { ...branchProps, ...windowProp, ...pageProp, 'job-name': { type: 'string' } } },
      },
    },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const branch = branchOf(project, req.query);
      pageOffset(req.query['page-token']);
      const items = await jobMetrics(db(), project.id, req.params.workflowName, branch, req.query['job-name'], req.query['reporting-window'] ?? 'last-90-days');
      return paged(items, req.query['page-token']);
    },
  );

  // The API Developer's Guide's "recent runs of a job" (the current spec names the job with
  // `?job-name=` on …/jobs instead, which answers its metrics): newest first, paged.
  app.get<{ Params: SlugParams & { workflowName: string; jobName: string }; Querystring: BranchQuery & { 'page-token'?: string; 'start-date'?: string; 'end-date'?: string } }>(
    `${base}/workflows/:workflowName/jobs/:jobName`,
    {
      schema: {
        tags,
        operationId: 'getProjectJobRuns',
        params: { ...workflowParams, properties: { ...workflowParams.properties, jobName: { type: 'string' } }, required: [...workflowParams.required, 'jobName'] },
        querystring: { type: 'object', properties: { ...branchProps, ...pageProp, 'start-date': { type: 'string' }, 'end-date': { type: 'string' } } },
      },
    },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const branch = branchOf(project, req.query);
      const { from, to } = dateRange(req.query, 90);
      pageOffset(req.query['page-token']);
      const runs = await finishedJobRuns(db(), { projectIds: [project.id], name: req.params.workflowName, branch, from, to, jobName: req.params.jobName });
      const items = runs.reverse().map((r) => ({
        id: r.id,
        started_at: r.started_at ?? r.created_at,
        stopped_at: r.stopped_at,
        status: r.status,
        credits_used: 0,
        duration: secondsBetween(r.started_at ?? r.created_at, r.stopped_at),
      }));
      return paged(items, req.query['page-token'], RUNS_PAGE);
    },
  );

  app.get<{ Params: SlugParams & { workflowName: string }; Querystring: BranchQuery & WindowQuery }>(
    `${base}/workflows/:workflowName/summary`,
    { schema: { tags, operationId: 'getWorkflowSummary', params: workflowParams, querystring: { type: 'object', properties: { ...branchProps, ...windowProp } } } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const branch = branchOf(project, req.query);
      return workflowSummary(db(), project.id, req.params.workflowName, branch, req.query['reporting-window'] ?? 'last-90-days');
    },
  );

  app.get<{ Params: SlugParams; Querystring: { 'workflow-name'?: string } }>(
    `${base}/branches`,
    { schema: { tags, operationId: 'getAllInsightsBranches', params: projectSlugParams, querystring: { type: 'object', properties: { 'workflow-name': { type: 'string' } } } } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const from = new Date(Date.now() - 90 * DAY).toISOString();
      return { org_id: project.organization_id, project_id: project.id, branches: await insightsBranches(db(), project.id, from, req.query['workflow-name']) };
    },
  );

  app.get<{ Params: SlugParams }>(`${base}/flaky-tests`, { schema: { tags, operationId: 'getFlakyTests', params: projectSlugParams } }, async (req) => {
    const project = await requireProject(deps, req, req.params);
    return flakyTests(db(), project.id);
  });

  app.get<{ Params: SlugParams & { workflowName: string }; Querystring: BranchQuery }>(
    `${base}/workflows/:workflowName/test-metrics`,
    { schema: { tags, operationId: 'getProjectWorkflowTestMetrics', params: workflowParams, querystring: { type: 'object', properties: { ...branchProps } } } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const branch = branchOf(project, req.query);
      const from = new Date(Date.now() - 90 * DAY).toISOString();
      const { runs, tests } = await testRunsOfRecentWorkflows(db(), { projectId: project.id, name: req.params.workflowName, branch, from, to: new Date(Date.now() + 1).toISOString() });
      return testMetrics(runs, tests);
    },
  );

  app.get<{ Params: SlugParams & { workflowName: string }; Querystring: { branch?: string; granularity?: 'daily' | 'hourly'; 'start-date'?: string; 'end-date'?: string } }>(
    '/insights/time-series/:provider/:organization/:project/workflows/:workflowName/jobs',
    {
      schema: {
        tags,
        operationId: 'getJobTimeseries',
        params: workflowParams,
        querystring: {
          type: 'object',
          properties: { branch: { type: 'string', minLength: 1 }, granularity: { type: 'string', enum: ['daily', 'hourly'] }, 'start-date': { type: 'string' }, 'end-date': { type: 'string' } },
        },
      },
    },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const granularity = req.query.granularity ?? 'daily';
      const { from, to } = dateRange(req.query, granularity === 'hourly' ? 2 : 90);
      const items = await jobTimeseries(db(), project.id, req.params.workflowName, req.query.branch ?? project.default_branch, granularity, from, to);
      return { items, next_page_token: null };
    },
  );

  app.get<{ Params: SlugParams; Querystring: WindowQuery & { branches?: unknown; 'workflow-names'?: unknown } }>(
    '/insights/pages/:provider/:organization/:project/summary',
    {
      schema: {
        tags,
        operationId: 'getProjectWorkflowsPageData',
        params: projectSlugParams,
        querystring: { type: 'object', properties: { ...windowProp, branches: {}, 'workflow-names': {} } },
      },
    },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      return projectPageData(
        db(),
        project,
        { branches: listParam(req.query.branches), workflowNames: listParam(req.query['workflow-names']) },
        req.query['reporting-window'] ?? 'last-90-days',
      );
    },
  );

  const orgSummaryOf = async (req: FastifyRequest<{ Querystring: WindowQuery & { 'project-names'?: unknown } }>, vcs: string | undefined, orgOrId: string) => {
    const org = await requireOrg(deps, req, vcs, orgOrId);
    const names = listParam(req.query['project-names']);
    const projects = await projectsOfOrganizations(db(), [org.id]);
    const wanted = names ? projects.filter((p) => names.includes(p.name)) : projects;
    const summary = await orgSummary(db(), wanted, req.query['reporting-window'] ?? 'last-90-days');
    return { ...summary, all_projects: projects.map((p) => p.name) };
  };
  const orgQuery = { type: 'object', properties: { ...windowProp, 'project-names': {} } } as const;
  app.get<{ Params: { vcs: string; org: string }; Querystring: WindowQuery & { 'project-names'?: unknown } }>(
    '/insights/:vcs/:org/summary',
    { schema: { tags, operationId: 'getOrgSummaryDataByOrgSlug', querystring: orgQuery } },
    async (req) => orgSummaryOf(req, req.params.vcs, req.params.org),
  );
  app.get<{ Params: { id: string }; Querystring: WindowQuery & { 'project-names'?: unknown } }>(
    '/insights/:id/summary',
    { schema: { tags, operationId: 'getOrgSummaryData', querystring: orgQuery } },
    async (req) => orgSummaryOf(req, undefined, req.params.id),
  );
}
