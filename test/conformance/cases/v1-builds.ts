// API v1.1 builds. Responses the v1.1 OpenAPI document describes are validated against it
// (`spec: 'v1'`); it declares only 200 answers, so error cases are checked by hand.
import { expect } from 'vitest';
import { drive, failedFlow, runFlow, runningFlow, settledFlow, type FlowRun } from '../flows.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';
import { specV1 } from '../spec.ts';

const RECENT = 'GET /api/v1.1/recent-builds';
const PROJECT = 'GET /api/v1.1/project/:vcs/:org/:repo';
const BRANCH = 'GET /api/v1.1/project/:vcs/:org/:repo/tree/*';
const BUILD = 'GET /api/v1.1/project/:vcs/:org/:repo/:build_num(^\\d+$)';
const CANCEL = 'POST /api/v1.1/project/:vcs/:org/:repo/:build_num(^\\d+$)/cancel';
const RETRY = 'POST /api/v1.1/project/:vcs/:org/:repo/:build_num(^\\d+$)/retry';

/** `gh/acme/x` → `github/acme/x`, as v1.1 clients spell it. */
const v1 = (slug: string) => slug.replace(/^gh\//, 'github/');
const num = (flow: FlowRun, job: 'build' | 'test') => flow.workflows.main!.jobs[job]!.job_number!;

/** What a case's call acted on, for its expect. */
const acted = new WeakMap<CaseContext, { slug: string; number: number }>();

export const cases: ConformanceCase[] = [
  // recent builds
  {
    route: RECENT,
    name: 'recent builds of all projects',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      await settledFlow(ctx);
      return { method: 'GET', path: '/api/v1.1/recent-builds', token: ctx.token };
    },
    expect: (b) => {
      expect(b.length).toBeGreaterThan(0);
      expect(b.length).toBeLessThanOrEqual(30);
      for (const build of b) expect(build.username).toBe('acme');
      const queued = b.map((x: any) => x.queued_at);
      expect(queued).toEqual([...queued].sort().reverse());
    },
  },
  {
    route: RECENT,
    name: 'limit and offset',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      await settledFlow(ctx);
      return { method: 'GET', path: '/api/v1.1/recent-builds?limit=1&offset=1&shallow=true', token: ctx.token };
    },
    expect: async (b, ctx) => {
      expect(b).toHaveLength(1);
      const all = (await ctx.server.call('GET', '/api/v1.1/recent-builds?limit=2', ctx.token)).body;
      expect(b[0].build_url).toBe(all[1].build_url);
    },
  },
  {
    route: RECENT,
    name: 'a user of another organization sees none of them',
    spec: 'v1',
    status: 200,
    call: ({ otherToken }) => ({ method: 'GET', path: '/api/v1.1/recent-builds', token: otherToken }),
    expect: (b) => expect(b).toEqual([]),
  },
  {
    route: RECENT,
    name: 'a limit that is not a number is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'GET', path: '/api/v1.1/recent-builds?limit=lots', token }),
  },
  {
    route: RECENT,
    name: 'no token is 401 {message}',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v1.1/recent-builds' }),
    expect: (b) => expect(b).toEqual({ message: 'You must log in first.' }),
  },

  // builds of a project
  {
    route: PROJECT,
    name: 'builds of a project, newest first, in v1.1 shape',
    spec: 'v1',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v1.1/project/${v1((await settledFlow(ctx)).slug)}`, token: ctx.token }),
    expect: async (b, ctx) => {
      const flow = await settledFlow(ctx);
      const nums = b.map((x: any) => x.build_num);
      expect(nums).toEqual([...nums].sort((x, y) => y - x));
      const build = b.find((x: any) => x.build_num === num(flow, 'build'));
      expect(build).toMatchObject({
        branch: 'main',
        reponame: flow.slug.split('/')[2],
        username: 'acme',
        lifecycle: 'finished',
        outcome: 'success',
        status: 'success',
        why: 'api',
        job_name: 'build',
        parallel: 1,
        user: { login: 'alice', is_user: true },
        workflows: { job_name: 'build', job_id: flow.workflows.main!.jobs.build!.id, workflow_id: flow.workflows.main!.id, workflow_name: 'main', upstream_job_ids: [] },
      });
      expect(build.vcs_revision).toMatch(/^[0-9a-f]{40}$/);
      expect(build.build_time_millis).toBeGreaterThanOrEqual(0);
      const test = b.find((x: any) => x.build_num === num(flow, 'test'));
      expect(test.workflows.upstream_job_ids).toEqual([flow.workflows.main!.jobs.build!.id]);
      expect(test.parallel).toBe(2);
    },
  },
  {
    route: PROJECT,
    name: 'gh/ names the same project',
    spec: 'v1',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v1.1/project/${(await settledFlow(ctx)).slug}?limit=1`, token: ctx.token }),
    expect: (b) => expect(b).toHaveLength(1),
  },
  {
    route: PROJECT,
    name: 'filter=failed',
    spec: 'v1',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v1.1/project/${v1((await failedFlow(ctx)).slug)}?filter=failed&limit=100`, token: ctx.token }),
    expect: async (b, ctx) => {
      expect(b.length).toBeGreaterThan(0);
      for (const x of b) expect(x.outcome).toBe('failed');
      expect(b.map((x: any) => x.build_num)).toContain(num(await failedFlow(ctx), 'test'));
    },
  },
  {
    route: PROJECT,
    name: 'filter=successful',
    spec: 'v1',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v1.1/project/${v1((await settledFlow(ctx)).slug)}?filter=successful`, token: ctx.token }),
    expect: (b) => {
      expect(b.length).toBeGreaterThan(0);
      for (const x of b) expect(x.outcome).toBe('success');
    },
  },
  {
    route: PROJECT,
    name: 'filter=completed',
    spec: 'v1',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v1.1/project/${v1((await settledFlow(ctx)).slug)}?filter=completed&limit=100`, token: ctx.token }),
    expect: (b) => {
      for (const x of b) expect(x.lifecycle).toBe('finished');
    },
  },
  {
    route: PROJECT,
    name: 'filter=running (queued and running builds)',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      const flow = await runningFlow(ctx);
      acted.set(ctx, { slug: flow.slug, number: num(flow, 'build') });
      return { method: 'GET', path: `/api/v1.1/project/${v1(flow.slug)}?filter=running&limit=100`, token: ctx.token };
    },
    expect: (b, ctx) => {
      for (const x of b) expect(['queued', 'running']).toContain(x.lifecycle);
      const running = b.find((x: any) => x.build_num === acted.get(ctx)!.number);
      expect(running).toMatchObject({ lifecycle: 'running', status: 'running', outcome: null, stop_time: null, build_time_millis: null });
    },
  },
  {
    route: PROJECT,
    name: 'limit above 100 is 100',
    spec: 'v1',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v1.1/project/${v1((await settledFlow(ctx)).slug)}?limit=500`, token: ctx.token }),
    expect: (b) => expect(b.length).toBeLessThanOrEqual(100),
  },
  {
    route: PROJECT,
    name: 'an unknown filter is 400',
    spec: 'none',
    status: 400,
    call: async (ctx) => ({ method: 'GET', path: `/api/v1.1/project/${v1((await settledFlow(ctx)).slug)}?filter=nope`, token: ctx.token }),
  },
  {
    route: PROJECT,
    name: "another organization's project is 404 {message}",
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v1.1/project/github/other/secret', token }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: PROJECT,
    name: 'a vcs type v1.1 does not know is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v1.1/project/circleci/acme/app', token }),
  },
  {
    route: PROJECT,
    name: 'HTTP Basic auth',
    spec: 'v1',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v1.1/project/github/acme/app', headers: { authorization: 'Basic ' + Buffer.from(token + ':').toString('base64') } }),
  },
  {
    route: PROJECT,
    name: 'circle-token query parameter',
    spec: 'v1',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: `/api/v1.1/project/github/acme/app?circle-token=${token}` }),
  },
  {
    route: PROJECT,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v1.1/project/github/acme/app' }),
  },

  // builds of a branch (not in the v1.1 OpenAPI document: checked against the project list's schema)
  {
    route: BRANCH,
    name: 'builds of one branch',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v1.1/project/${v1((await settledFlow(ctx)).slug)}/tree/main`, token: ctx.token }),
    expect: (b) => {
      expect(specV1().check('GET', '/api/v1.1/project/github/acme/app', 200, b)).toEqual([]);
      expect(b.length).toBeGreaterThan(0);
      for (const x of b) expect(x.branch).toBe('main');
    },
  },
  {
    route: BRANCH,
    name: 'a branch with a slash, url-encoded: none built',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v1.1/project/${v1((await settledFlow(ctx)).slug)}/tree/feature%2Fnope`, token: ctx.token }),
    expect: (b) => expect(b).toEqual([]),
  },
  {
    route: BRANCH,
    name: 'missing project is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v1.1/project/github/acme/nope/tree/main', token }),
  },

  // one build
  {
    route: BUILD,
    name: 'a finished build in full',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      const flow = await settledFlow(ctx);
      return { method: 'GET', path: `/api/v1.1/project/${v1(flow.slug)}/${num(flow, 'test')}`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      const flow = await settledFlow(ctx);
      expect(b).toMatchObject({ build_num: num(flow, 'test'), job_name: 'test', status: 'success', lifecycle: 'finished', messages: [], canceled: false, failed: false });
      // The scripted agent ran one step on each of the two parallel runs.
      expect(b.steps).toHaveLength(1);
      expect(b.steps[0].actions.map((a: any) => [a.index, a.step, a.status, a.has_output])).toEqual([
        [0, 0, 'success', true],
        [1, 0, 'success', true],
      ]);
      expect(b.all_commit_details).toHaveLength(1);
      expect(b.all_commit_details[0].commit).toBe(b.vcs_revision);
      expect(b.picard).toEqual({ executor: 'machine', resource_class: { class: 'conformance/runner' } });
    },
  },
  {
    route: BUILD,
    name: 'a failed build',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      const flow = await failedFlow(ctx);
      return { method: 'GET', path: `/api/v1.1/project/${v1(flow.slug)}/${num(flow, 'test')}`, token: ctx.token };
    },
    expect: (b) => expect(b).toMatchObject({ status: 'failed', outcome: 'failed', lifecycle: 'finished', failed: true }),
  },
  {
    route: BUILD,
    name: 'a success after a failure is fixed',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      await runFlow(ctx, { outcomes: { test: 'failed' } });
      const flow = await runFlow(ctx);
      return { method: 'GET', path: `/api/v1.1/project/${v1(flow.slug)}/${num(flow, 'test')}`, token: ctx.token };
    },
    expect: (b) => {
      expect(b).toMatchObject({ status: 'fixed', outcome: 'success', previous: { status: 'failed' } });
      expect(b.previous_successful_build.status).toBe('success');
    },
  },
  {
    route: BUILD,
    name: 'a queued build (not started: start_time null)',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      const flow = await runFlow(ctx, { drive: false });
      return { method: 'GET', path: `/api/v1.1/project/${v1(flow.slug)}/${num(flow, 'build')}`, token: ctx.token };
    },
    expect: (b) => expect(b).toMatchObject({ lifecycle: 'queued', status: 'queued', outcome: null, start_time: null, stop_time: null }),
  },
  {
    route: BUILD,
    name: 'unknown build is 404 {message}',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v1.1/project/github/acme/app/999999', token }),
    expect: (b) => expect(b).toEqual({ message: 'Build not found' }),
  },
  {
    route: BUILD,
    name: 'a build number that is not a number is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v1.1/project/github/acme/app/12abc', token }),
  },
  {
    route: BUILD,
    name: 'a path that is not a build number never reaches the build route',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v1.1/project/github/acme/app/not-a-build', token }),
    expect: (b) => expect(b.message).not.toBe('Build not found'),
  },
  {
    route: BUILD,
    name: "another organization's build is 404",
    spec: 'none',
    status: 404,
    call: async (ctx) => {
      const flow = await settledFlow(ctx);
      return { method: 'GET', path: `/api/v1.1/project/${v1(flow.slug)}/${num(flow, 'build')}`, token: ctx.otherToken };
    },
  },

  // cancel
  {
    route: CANCEL,
    name: 'cancels a queued build and returns it',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      const flow = await runFlow(ctx, { drive: false });
      return { method: 'POST', path: `/api/v1.1/project/${v1(flow.slug)}/${num(flow, 'build')}/cancel`, token: ctx.token };
    },
    expect: (b) => expect(b).toMatchObject({ status: 'canceled', outcome: 'canceled', canceled: true }),
  },
  {
    route: CANCEL,
    name: 'cancels a running build (it stops when its agent hears)',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      const flow = await runningFlow(ctx);
      return { method: 'POST', path: `/api/v1.1/project/${v1(flow.slug)}/${num(flow, 'build')}/cancel`, token: ctx.token };
    },
    expect: (b) => expect(b).toMatchObject({ status: 'canceled', outcome: 'canceled', lifecycle: 'finished', canceled: true }),
  },
  {
    route: CANCEL,
    name: 'a finished build is returned unchanged',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      const flow = await settledFlow(ctx);
      return { method: 'POST', path: `/api/v1.1/project/${v1(flow.slug)}/${num(flow, 'build')}/cancel`, token: ctx.token };
    },
    expect: (b) => expect(b).toMatchObject({ status: 'success', canceled: false }),
  },
  {
    route: CANCEL,
    name: 'unknown build is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/acme/app/999999/cancel', token }),
  },

  // retry
  {
    route: RETRY,
    name: "retries a build: its workflow reruns from it; returns the new build",
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      const flow = await runFlow(ctx, { outcomes: { test: 'failed' } });
      acted.set(ctx, { slug: flow.slug, number: num(flow, 'test') });
      return { method: 'POST', path: `/api/v1.1/project/${v1(flow.slug)}/${num(flow, 'test')}/retry`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      const { slug, number } = acted.get(ctx)!;
      expect(b).toMatchObject({ job_name: 'test', why: 'retry', retry_of: number, lifecycle: 'queued', status: 'queued' });
      expect(b.build_num).toBeGreaterThan(number);
      expect(b.workflows.workflow_name).toBe('main');
      await drive(ctx, ''); // every waiting conformance job ends in success
      const after = await ctx.server.call('GET', `/api/v1.1/project/${v1(slug)}/${b.build_num}`, ctx.token);
      expect(after.body).toMatchObject({ status: 'fixed', retry_of: number });
    },
  },
  {
    route: RETRY,
    name: 'a build of a running workflow is 400',
    spec: 'none',
    status: 400,
    call: async (ctx) => {
      const flow = await runningFlow(ctx);
      return { method: 'POST', path: `/api/v1.1/project/${v1(flow.slug)}/${num(flow, 'build')}/retry`, token: ctx.token };
    },
  },
  {
    route: RETRY,
    name: 'unknown build is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/acme/app/999999/retry', token }),
  },
  {
    route: RETRY,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v1.1/project/github/acme/app/1/retry' }),
  },
];
