import crypto from 'node:crypto';
import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';
import { drive, FLOW_CONFIG, flowState, type FlowRun } from '../flows.ts';
import { makeRepo } from '../../helpers/git.ts';
import { specV2 } from '../spec.ts';
import { insertTestResults } from '../../../src/storage/test-results.ts';

const base = 'GET /api/v2/insights/:provider/:organization/:project';
const W = `${base}/workflows`;
const R = `${base}/workflows/:workflowName`;
const J = `${base}/workflows/:workflowName/jobs`;
const S = `${base}/workflows/:workflowName/summary`;
const JR = `${base}/workflows/:workflowName/jobs/:jobName`;
const B = `${base}/branches`;
const F = `${base}/flaky-tests`;
const T = `${base}/workflows/:workflowName/test-metrics`;
const TS = 'GET /api/v2/insights/time-series/:provider/:organization/:project/workflows/:workflowName/jobs';
const P = 'GET /api/v2/insights/pages/:provider/:organization/:project/summary';
const O_SLUG = 'GET /api/v2/insights/:vcs/:org/summary';
const O_ID = 'GET /api/v2/insights/:id/summary';

const histories = new WeakMap<CaseContext, Promise<{ ok: FlowRun; failed: FlowRun }>>();

/**
 * Insights history in a project of its own (so no other case sees its failures): one `main`
 * run that succeeded and one whose `test` failed (same revision), each with a stored test
 * result for `test` (passed, then failed: a flaky test).
 */
function history(ctx: CaseContext): Promise<{ ok: FlowRun; failed: FlowRun }> {
  let h = histories.get(ctx);
  if (!h) {
    h = (async () => {
      const slug = `gh/acme/insights-${crypto.randomBytes(4).toString('hex')}`;
      const project = await ctx.server.project(slug, makeRepo(FLOW_CONFIG).dir);
      const run = async (outcomes: Record<string, 'success' | 'failed'>) => {
        const trig = await ctx.server.call('POST', `/api/v2/project/${slug}/pipeline`, ctx.token, {});
        if (trig.status !== 201) throw new Error(`trigger failed: ${trig.status} ${trig.text}`);
        await drive(ctx, trig.body.id, outcomes);
        return flowState(ctx, slug, trig.body.id, trig.body.number);
      };
      const ok = await run({});
      const failed = await run({ test: 'failed' });
      const row = (jobId: string, result: string) => ({
        id: crypto.randomUUID(),
        project_id: project.id,
        job_id: jobId,
        node_index: 0,
        name: 'adds numbers',
        classname: 'MathTest',
        file: 'test/math.test.ts',
        result,
        message: result === 'success' ? '' : 'expected 3',
        run_time: 1.5,
        source: 'results.xml',
        created_at: new Date().toISOString(),
      });
      await insertTestResults(ctx.server.database.db, [row(ok.workflows.main!.jobs.test!.id, 'success'), row(failed.workflows.main!.jobs.test!.id, 'failure')]);
      return { ok, failed };
    })();
    histories.set(ctx, h);
  }
  return h;
}

const slugOf = async (ctx: CaseContext) => (await history(ctx)).ok.slug;

async function acmeId({ server, token }: CaseContext): Promise<string> {
  const res = await server.call('GET', '/api/v2/me/collaborations', token);
  return res.body.find((o: any) => o.slug === 'gh/acme').id;
}

const unknownProject = (route: string, suffix: string, prefix = '/api/v2/insights'): ConformanceCase => ({
  route,
  name: 'unknown project is 404',
  status: 404,
  call: (ctx) => ({ method: 'GET', path: `${prefix}/gh/acme/no-such-project${suffix}`, token: ctx.token }),
  expect: (b) => expect(b.message).toBe('Project not found'),
});

const otherOrg = (route: string, suffix: string, prefix = '/api/v2/insights'): ConformanceCase => ({
  route,
  name: "another organization's project is 404",
  status: 404,
  call: (ctx) => ({ method: 'GET', path: `${prefix}/gh/other/secret${suffix}`, token: ctx.token }),
});

const badWindow = (route: string, suffix: (ctx: CaseContext) => Promise<string>): ConformanceCase => ({
  route,
  name: 'bad reporting-window is 400',
  status: 400,
  call: async (ctx) => ({ method: 'GET', path: `${await suffix(ctx)}?reporting-window=last-3-days`, token: ctx.token }),
  expect: (b) => expect(b.message).toMatch(/reporting-window/),
});

export const cases: ConformanceCase[] = [
  // getProjectWorkflowMetrics
  {
    route: W,
    name: 'workflow metrics of the default branch',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows?reporting-window=last-7-days`, token: ctx.token }),
    expect: (b) => {
      const main = b.items.find((i: any) => i.name === 'main');
      expect(main.metrics.total_runs).toBeGreaterThanOrEqual(2);
      expect(main.metrics.failed_runs).toBeGreaterThanOrEqual(1);
      expect(main.metrics.total_credits_used).toBe(0);
      expect(b.next_page_token).toBeNull();
    },
  },
  {
    route: W,
    name: 'all branches',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows?all-branches=true`, token: ctx.token }),
    expect: (b) => expect(b.items.length).toBeGreaterThanOrEqual(1),
  },
  {
    route: W,
    name: 'a branch without runs has no items',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows?branch=nothing-here`, token: ctx.token }),
    expect: (b) => expect(b).toEqual({ items: [], next_page_token: null }),
  },
  unknownProject(W, '/workflows'),
  otherOrg(W, '/workflows'),
  badWindow(W, async (ctx) => `/api/v2/insights/${await slugOf(ctx)}/workflows`),
  {
    route: W,
    name: 'branch and all-branches together is 400',
    status: 400,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows?branch=main&all-branches=true`, token: ctx.token }),
  },
  {
    route: W,
    name: 'no token is 401',
    status: 401,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/insights/${ctx.projectSlug}/workflows` }),
  },

  // getProjectWorkflowRuns
  {
    route: R,
    name: 'recent runs of a workflow',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/main`, token: ctx.token }),
    expect: async (b, ctx) => {
      const { ok, failed } = await history(ctx);
      const byId = new Map(b.items.map((i: any) => [i.id, i]));
      expect((byId.get(ok.workflows.main!.id) as any).status).toBe('success');
      expect((byId.get(failed.workflows.main!.id) as any).status).toBe('failed');
      expect((byId.get(ok.workflows.main!.id) as any).branch).toBe('main');
      expect((byId.get(ok.workflows.main!.id) as any).is_approval).toBe(false);
    },
  },
  {
    route: R,
    name: 'start-date and end-date bound the runs',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/main?start-date=2020-01-01T00:00:00Z&end-date=2020-02-01T00:00:00Z`, token: ctx.token }),
    expect: (b) => expect(b).toEqual({ items: [], next_page_token: null }),
  },
  {
    route: R,
    name: 'bad start-date is 400',
    status: 400,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/main?start-date=yesterday`, token: ctx.token }),
  },
  {
    route: R,
    name: 'bad page-token is 400',
    status: 400,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/main?page-token=zzz`, token: ctx.token }),
  },
  unknownProject(R, '/workflows/main'),

  // getProjectWorkflowJobMetrics
  {
    route: J,
    name: 'job metrics of a workflow',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/main/jobs?reporting-window=last-24-hours`, token: ctx.token }),
    expect: (b) => {
      const names = b.items.map((i: any) => i.name);
      expect(names).toEqual(expect.arrayContaining(['build', 'test']));
      const test = b.items.find((i: any) => i.name === 'test');
      expect(test.metrics.failed_runs).toBeGreaterThanOrEqual(1);
    },
  },
  {
    route: J,
    name: 'one job by job-name',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/main/jobs?job-name=build`, token: ctx.token }),
    expect: (b) => expect(b.items.map((i: any) => i.name)).toEqual(['build']),
  },
  unknownProject(J, '/workflows/main/jobs'),

  // The API Developer's Guide's recent runs of one job (no longer in the spec)
  {
    route: JR,
    name: "the guide's path form: recent runs of one job of one workflow, newest first",
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/main/jobs/test`, token: ctx.token }),
    expect: async (b, ctx) => {
      const { ok, failed } = await history(ctx);
      expect(b.next_page_token).toBeNull();
      expect(b.items.map((i: any) => i.id)).toEqual([failed.workflows.main!.jobs.test!.id, ok.workflows.main!.jobs.test!.id]);
      expect(b.items.map((i: any) => i.status)).toEqual(['failed', 'success']);
      for (const i of b.items) {
        expect(i.duration).toBeGreaterThanOrEqual(0);
        expect(i.credits_used).toBe(0);
        expect(Date.parse(i.stopped_at)).toBeGreaterThanOrEqual(Date.parse(i.started_at));
      }
    },
  },
  {
    route: JR,
    name: 'an unknown job has no runs',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/main/jobs/nope`, token: ctx.token }),
    expect: (b) => expect(b).toEqual({ items: [], next_page_token: null }),
  },
  {
    route: JR,
    name: 'an unknown project is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/insights/gh/acme/nope/workflows/main/jobs/test', token }),
  },
  badWindow(J, async (ctx) => `/api/v2/insights/${await slugOf(ctx)}/workflows/main/jobs`),

  // getWorkflowSummary
  {
    route: S,
    name: 'metrics and trends of a workflow',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/main/summary`, token: ctx.token }),
    expect: (b) => {
      expect(b.metrics.total_runs).toBeGreaterThanOrEqual(2);
      expect(b.workflow_names).toEqual(expect.arrayContaining(['main']));
      expect(b.trends.total_runs).toBe(0);
    },
  },
  {
    route: S,
    name: 'unknown workflow has empty metrics',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/nope/summary?all-branches=true`, token: ctx.token }),
    expect: (b) => expect(b.metrics.total_runs).toBe(0),
  },
  unknownProject(S, '/workflows/main/summary'),

  // getAllInsightsBranches
  {
    route: B,
    name: 'branches of a project',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/branches?workflow-name=main`, token: ctx.token }),
    expect: (b) => expect(b.branches).toContain('main'),
  },
  unknownProject(B, '/branches'),

  // getFlakyTests. CircleCI answers snake_case keys (`flaky_tests`, `total_flaky_tests`,
  // `test_name` ...) although its spec documents kebab-case; circlet answers what CircleCI
  // does, so the success case checks the shape itself instead of the spec.
  {
    route: F,
    name: 'a test that passed and failed on one revision is flaky',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/flaky-tests`, token: ctx.token }),
    expect: async (b, ctx) => {
      const { failed } = await history(ctx);
      expect(b.total_flaky_tests).toBe(1);
      expect(b.flaky_tests).toEqual([
        expect.objectContaining({
          test_name: 'adds numbers',
          classname: 'MathTest',
          file: 'test/math.test.ts',
          job_name: 'test',
          workflow_name: 'main',
          workflow_id: failed.workflows.main!.id,
          pipeline_number: failed.pipelineNumber,
          times_flaked: 1,
        }),
      ]);
    },
  },
  unknownProject(F, '/flaky-tests'),

  // getProjectWorkflowTestMetrics
  {
    route: T,
    name: 'test metrics of recent runs',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await slugOf(ctx)}/workflows/main/test-metrics`, token: ctx.token }),
    expect: (b) => {
      expect(b.total_test_runs).toBe(2);
      expect(b.most_failed_tests).toEqual([expect.objectContaining({ test_name: 'adds numbers', failed_runs: 1, total_runs: 2, flaky: true })]);
      expect(b.test_runs.length).toBe(2);
    },
  },
  unknownProject(T, '/workflows/main/test-metrics'),

  // getJobTimeseries
  {
    route: TS,
    name: 'hourly job time-series',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/time-series/${await slugOf(ctx)}/workflows/main/jobs?granularity=hourly`, token: ctx.token }),
    expect: (b) => {
      expect(b.items.map((i: any) => i.name)).toEqual(expect.arrayContaining(['build', 'test']));
      expect(b.next_page_token).toBeNull();
    },
  },
  {
    route: TS,
    name: 'daily job time-series',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/time-series/${await slugOf(ctx)}/workflows/main/jobs`, token: ctx.token }),
  },
  {
    route: TS,
    name: 'bad granularity is 400',
    status: 400,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/time-series/${await slugOf(ctx)}/workflows/main/jobs?granularity=weekly`, token: ctx.token }),
  },
  unknownProject(TS, '/workflows/main/jobs', '/api/v2/insights/time-series'),

  // getProjectWorkflowsPageData
  {
    route: P,
    name: 'project summary page',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/pages/${await slugOf(ctx)}/summary?reporting-window=last-30-days`, token: ctx.token }),
    expect: (b) => {
      expect(b.project_data.metrics.total_runs).toBeGreaterThanOrEqual(2);
      expect(b.all_workflows).toEqual(expect.arrayContaining(['main']));
      expect(b.all_branches).toEqual(['main']);
    },
  },
  {
    route: P,
    name: 'filtered by workflow-names',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/pages/${await slugOf(ctx)}/summary?workflow-names=nope`, token: ctx.token }),
    expect: (b) => expect(b.project_data.metrics.total_runs).toBe(0),
  },
  unknownProject(P, '/summary', '/api/v2/insights/pages'),
  badWindow(P, async (ctx) => `/api/v2/insights/pages/${await slugOf(ctx)}/summary`),

  // getOrgSummaryData
  {
    route: O_ID,
    name: 'org summary by id',
    status: 200,
    call: async (ctx) => {
      await history(ctx);
      return { method: 'GET', path: `/api/v2/insights/${await acmeId(ctx)}/summary?reporting-window=last-7-days`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      const name = (await slugOf(ctx)).split('/')[2];
      expect(b.all_projects).toContain(name);
      expect(b.org_project_data.find((p: any) => p.project_name === name).metrics.total_runs).toBeGreaterThanOrEqual(2);
    },
  },
  {
    route: O_ID,
    name: 'an org the caller is not in is 404',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/insights/00000000-0000-0000-0000-000000000000/summary`, token: ctx.token }),
  },
  {
    route: O_ID,
    name: 'bad reporting-window is 400',
    status: 400,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/insights/${await acmeId(ctx)}/summary?reporting-window=forever`, token: ctx.token }),
  },
  {
    route: O_SLUG,
    name: 'org summary by slug (checked against the id form of the path)',
    spec: 'none',
    status: 200,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/insights/gh/acme/summary?project-names=app`, token: ctx.token }),
    expect: (b) => {
      expect(specV2().check('GET', '/api/v2/insights/00000000-0000-0000-0000-000000000000/summary', 200, b)).toEqual([]);
      expect(b.org_project_data.every((p: any) => p.project_name === 'app')).toBe(true);
    },
  },
  {
    route: O_SLUG,
    name: "another org's slug is 404",
    spec: 'none',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/insights/gh/other/summary`, token: ctx.token }),
    expect: (b) => expect(b.message).toBe('Organization not found'),
  },
];
