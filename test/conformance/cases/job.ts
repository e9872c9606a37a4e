import { expect } from 'vitest';
import { failedFlow, runFlow, runningFlow, settledFlow } from '../flows.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const DETAILS = 'GET /api/v2/project/:provider/:organization/:project/job/:number';
const CANCEL_NUMBER = 'POST /api/v2/project/:provider/:organization/:project/job/:number/cancel';
const CANCEL_ID = 'POST /api/v2/jobs/:id/cancel';

const MISSING = '00000000-0000-4000-8000-000000000000';

/** The job a case's call acted on, for its expect. */
const acted = new WeakMap<CaseContext, { slug: string; number: number }>();

async function jobDetails(ctx: CaseContext, slug: string, number: number) {
  return (await ctx.server.call('GET', `/api/v2/project/${slug}/job/${number}`, ctx.token)).body;
}

export const cases: ConformanceCase[] = [
  // getJobDetails
  {
    route: DETAILS,
    name: 'a finished job with parallel runs',
    status: 200,
    call: async (ctx) => {
      const flow = await settledFlow(ctx);
      return { method: 'GET', path: `/api/v2/project/${flow.slug}/job/${flow.workflows.main!.jobs.test!.job_number}`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      const flow = await settledFlow(ctx);
      expect(b).toMatchObject({
        name: 'test',
        status: 'success',
        number: flow.workflows.main!.jobs.test!.job_number,
        parallelism: 2,
        parallel_runs: [
          { index: 0, status: 'success' },
          { index: 1, status: 'success' },
        ],
        pipeline: { id: flow.pipelineId },
        latest_workflow: { id: flow.workflows.main!.id, name: 'main' },
        project: { slug: flow.slug },
        organization: { name: 'acme' },
        executor: { type: 'machine', resource_class: 'conformance/runner' },
        contexts: [],
      });
      expect(b.duration).toBeGreaterThanOrEqual(0);
      expect(b.web_url).toContain(`/jobs/${b.number}`);
    },
  },
  {
    route: DETAILS,
    name: 'a failed job',
    status: 200,
    call: async (ctx) => {
      const flow = await failedFlow(ctx);
      return { method: 'GET', path: `/api/v2/project/${flow.slug}/job/${flow.workflows.main!.jobs.test!.job_number}`, token: ctx.token };
    },
    expect: (b) => expect(b.status).toBe('failed'),
  },
  {
    route: DETAILS,
    name: 'a queued job (not started: started_at null, duration null)',
    status: 200,
    call: async (ctx) => {
      const flow = await runFlow(ctx, { drive: false });
      return { method: 'GET', path: `/api/v2/project/${flow.slug}/job/${flow.workflows.main!.jobs.build!.job_number}`, token: ctx.token };
    },
    expect: (b) => {
      expect(b).toMatchObject({ status: 'queued', started_at: null, stopped_at: null, duration: null });
      expect(b.queued_at).not.toBeNull();
    },
  },
  {
    route: DETAILS,
    name: 'a running job',
    status: 200,
    call: async (ctx) => {
      const flow = await runningFlow(ctx);
      return { method: 'GET', path: `/api/v2/project/${flow.slug}/job/${flow.workflows.main!.jobs.build!.job_number}`, token: ctx.token };
    },
    expect: (b) => {
      expect(b).toMatchObject({ status: 'running', stopped_at: null, duration: null, parallel_runs: [{ index: 0, status: 'running' }] });
      expect(b.started_at).not.toBeNull();
    },
  },
  {
    route: DETAILS,
    name: 'unknown number is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/job/999999', token }),
    expect: (b) => expect(b).toEqual({ message: 'Job not found' }),
  },
  {
    route: DETAILS,
    name: 'a non-numeric number is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/job/abc', token }),
  },
  {
    route: DETAILS,
    name: "another organization's job is 404",
    status: 404,
    call: async (ctx) => {
      const flow = await settledFlow(ctx);
      return { method: 'GET', path: `/api/v2/project/${flow.slug}/job/${flow.workflows.main!.jobs.build!.job_number}`, token: ctx.otherToken };
    },
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: DETAILS,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/job/1' }),
  },

  // cancelJobByJobNumber
  {
    route: CANCEL_NUMBER,
    name: 'cancels a queued job',
    status: 200,
    call: async (ctx) => {
      const flow = await runFlow(ctx, { drive: false });
      const number = flow.workflows.main!.jobs.build!.job_number!;
      acted.set(ctx, { slug: flow.slug, number });
      return { method: 'POST', path: `/api/v2/project/${flow.slug}/job/${number}/cancel`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      expect(typeof b.message).toBe('string');
      const { slug, number } = acted.get(ctx)!;
      expect((await jobDetails(ctx, slug, number)).status).toBe('canceled');
    },
  },
  {
    route: CANCEL_NUMBER,
    name: 'cancels a running job',
    status: 200,
    call: async (ctx) => {
      const flow = await runningFlow(ctx);
      return { method: 'POST', path: `/api/v2/project/${flow.slug}/job/${flow.workflows.main!.jobs.build!.job_number}/cancel`, token: ctx.token };
    },
  },
  {
    route: CANCEL_NUMBER,
    name: 'a finished job: nothing changes',
    status: 200,
    call: async (ctx) => {
      const flow = await settledFlow(ctx);
      const number = flow.workflows.main!.jobs.build!.job_number!;
      acted.set(ctx, { slug: flow.slug, number });
      return { method: 'POST', path: `/api/v2/project/${flow.slug}/job/${number}/cancel`, token: ctx.token };
    },
    expect: async (_b, ctx) => {
      const { slug, number } = acted.get(ctx)!;
      expect((await jobDetails(ctx, slug, number)).status).toBe('success');
    },
  },
  {
    route: CANCEL_NUMBER,
    name: 'unknown number is 404',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/job/999999/cancel', token }),
  },
  {
    route: CANCEL_NUMBER,
    name: "another organization's project is 404",
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/other/secret/job/1/cancel', token }),
  },

  // cancelJobByJobID
  {
    route: CANCEL_ID,
    name: 'cancels a queued job by id',
    status: 200,
    call: async (ctx) => {
      const flow = await runFlow(ctx, { drive: false });
      const job = flow.workflows.main!.jobs.build!;
      acted.set(ctx, { slug: flow.slug, number: job.job_number! });
      return { method: 'POST', path: `/api/v2/jobs/${job.id}/cancel`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      expect(typeof b.message).toBe('string');
      const { slug, number } = acted.get(ctx)!;
      expect((await jobDetails(ctx, slug, number)).status).toBe('canceled');
    },
  },
  {
    route: CANCEL_ID,
    name: 'cancels a blocked job by id',
    status: 200,
    call: async (ctx) => {
      const flow = await runFlow(ctx, { drive: false });
      return { method: 'POST', path: `/api/v2/jobs/${flow.workflows.gated!.jobs.deploy!.id}/cancel`, token: ctx.token };
    },
  },
  {
    route: CANCEL_ID,
    name: 'unknown id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: `/api/v2/jobs/${MISSING}/cancel`, token }),
    expect: (b) => expect(b).toEqual({ message: 'Job not found' }),
  },
  {
    route: CANCEL_ID,
    name: 'a malformed id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/jobs/nope/cancel', token }),
  },
  {
    route: CANCEL_ID,
    name: "another organization's job is 404",
    status: 404,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/jobs/${(await settledFlow(ctx)).workflows.main!.jobs.build!.id}/cancel`, token: ctx.otherToken }),
  },
  {
    route: CANCEL_ID,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'POST', path: `/api/v2/jobs/${MISSING}/cancel` }),
  },
];
