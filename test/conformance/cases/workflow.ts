import { expect } from 'vitest';
import { drive, failedFlow, runFlow, runningFlow, settledFlow } from '../flows.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const GET = 'GET /api/v2/workflow/:id';
const JOBS = 'GET /api/v2/workflow/:id/job';
const CANCEL = 'POST /api/v2/workflow/:id/cancel';
const APPROVE = 'POST /api/v2/workflow/:id/approve/:approval_request_id';
const RERUN = 'POST /api/v2/workflow/:id/rerun';

const MISSING = '00000000-0000-4000-8000-000000000000';

/** The workflow a case's call acted on, for its expect. */
const lastId = new WeakMap<CaseContext, string>();

export const cases: ConformanceCase[] = [
  // getWorkflowById
  {
    route: GET,
    name: 'a finished workflow',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.main!.id}`, token: ctx.token }),
    expect: async (b, ctx) => {
      const flow = await settledFlow(ctx);
      expect(b).toMatchObject({ name: 'main', status: 'success', pipeline_id: flow.pipelineId, pipeline_number: flow.pipelineNumber, project_slug: flow.slug, tag: null });
      expect(b.stopped_at).not.toBeNull();
    },
  },
  {
    route: GET,
    name: 'a workflow waiting on an approval',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.gated!.id}`, token: ctx.token }),
    expect: (b) => expect(b).toMatchObject({ status: 'on_hold', stopped_at: null }),
  },
  {
    route: GET,
    name: 'unknown id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/workflow/${MISSING}`, token }),
    expect: (b) => expect(b).toEqual({ message: 'Workflow not found' }),
  },
  {
    route: GET,
    name: "another organization's workflow is 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.main!.id}`, token: ctx.otherToken }),
  },
  {
    route: GET,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: `/api/v2/workflow/${MISSING}` }),
  },

  // listWorkflowJobs
  {
    route: JOBS,
    name: 'finished jobs with numbers and dependencies',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.main!.id}/job`, token: ctx.token }),
    expect: (b) => {
      const [build, test] = ['build', 'test'].map((n) => b.items.find((j: any) => j.name === n));
      expect(build).toMatchObject({ status: 'success', type: 'build', dependencies: [] });
      expect(test).toMatchObject({ status: 'success', dependencies: [build.id], requires: { [build.id]: ['success'] } });
      expect(typeof build.job_number).toBe('number');
      expect(build.started_at).not.toBeNull();
      expect(b.next_page_token).toBeNull();
    },
  },
  {
    route: JOBS,
    name: 'an approval on hold and a blocked job (not started: started_at null)',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.gated!.id}/job`, token: ctx.token }),
    expect: (b) => {
      const hold = b.items.find((j: any) => j.name === 'hold');
      const deploy = b.items.find((j: any) => j.name === 'deploy');
      expect(hold).toMatchObject({ type: 'approval', status: 'on_hold', started_at: null });
      expect(hold.approval_request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(hold.job_number).toBeUndefined();
      expect(deploy).toMatchObject({ status: 'blocked', started_at: null, stopped_at: null });
    },
  },
  {
    route: JOBS,
    name: 'a bad page-token is 400',
    status: 400,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.main!.id}/job?page-token=garbage`, token: ctx.token }),
  },
  {
    route: JOBS,
    name: 'unknown workflow is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/workflow/${MISSING}/job`, token }),
  },

  // cancelWorkflow
  {
    route: CANCEL,
    name: 'cancels a running workflow',
    status: 202,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/workflow/${(await runningFlow(ctx)).workflows.main!.id}/cancel`, token: ctx.token }),
    expect: (b) => expect(b).toEqual({ message: 'Accepted.' }),
  },
  {
    route: CANCEL,
    name: 'cancels a workflow waiting on an approval',
    status: 202,
    call: async (ctx) => {
      const id = (await runFlow(ctx, { drive: false })).workflows.gated!.id;
      lastId.set(ctx, id);
      return { method: 'POST', path: `/api/v2/workflow/${id}/cancel`, token: ctx.token };
    },
    expect: async (_b, ctx) => {
      const wf = await ctx.server.call('GET', `/api/v2/workflow/${lastId.get(ctx)}`, ctx.token);
      expect(wf.body).toMatchObject({ status: 'canceled' });
      // The user who canceled it, not merely a key that is there (null would pass toBeDefined).
      const me = await ctx.server.call('GET', '/api/v2/me', ctx.token);
      expect(wf.body.canceled_by).toBe(me.body.id);
    },
  },
  {
    route: CANCEL,
    name: 'a finished workflow: accepted, nothing changes',
    status: 202,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.main!.id}/cancel`, token: ctx.token }),
    expect: async (_b, ctx) => {
      const flow = await settledFlow(ctx);
      const wf = await ctx.server.call('GET', `/api/v2/workflow/${flow.workflows.main!.id}`, ctx.token);
      expect(wf.body.status).toBe('success');
    },
  },
  {
    route: CANCEL,
    name: 'unknown workflow is 404',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: `/api/v2/workflow/${MISSING}/cancel`, token }),
  },
  {
    route: CANCEL,
    name: "another organization's workflow is 404",
    status: 404,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.gated!.id}/cancel`, token: ctx.otherToken }),
  },

  // approvePendingApprovalJobById
  {
    route: APPROVE,
    name: 'approves a job on hold; the jobs after it run',
    status: 202,
    call: async (ctx) => {
      const flow = await runFlow(ctx, { drive: false });
      const gated = flow.workflows.gated!;
      return { method: 'POST', path: `/api/v2/workflow/${gated.id}/approve/${gated.jobs.hold!.approval_request_id}`, token: ctx.token };
    },
    expect: (b) => expect(b).toEqual({ message: 'Accepted.' }),
  },
  {
    route: APPROVE,
    name: 'approving twice is 400',
    status: 400,
    call: async (ctx) => {
      const flow = await runFlow(ctx, { drive: false });
      const gated = flow.workflows.gated!;
      const path = `/api/v2/workflow/${gated.id}/approve/${gated.jobs.hold!.approval_request_id}`;
      expect((await ctx.server.call('POST', path, ctx.token)).status).toBe(202);
      return { method: 'POST', path, token: ctx.token };
    },
  },
  {
    route: APPROVE,
    name: 'an approval request id that is not a UUID is 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.gated!.id}/approve/nope`, token: ctx.token }),
  },
  {
    route: APPROVE,
    name: 'an unknown approval request is 404',
    status: 404,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.gated!.id}/approve/${MISSING}`, token: ctx.token }),
  },
  {
    route: APPROVE,
    name: 'unknown workflow is 404',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: `/api/v2/workflow/${MISSING}/approve/${MISSING}`, token }),
  },

  // rerunWorkflow
  {
    route: RERUN,
    name: 'reruns a whole finished workflow',
    status: 202,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/workflow/${(await settledFlow(ctx)).workflows.main!.id}/rerun`, token: ctx.token, body: {} }),
    expect: async (b, ctx) => {
      const flow = await settledFlow(ctx);
      expect(b.workflow_id).not.toBe(flow.workflows.main!.id);
      await drive(ctx, flow.pipelineId);
      const wf = await ctx.server.call('GET', `/api/v2/workflow/${b.workflow_id}`, ctx.token);
      expect(wf.body).toMatchObject({ name: 'main', status: 'success', pipeline_id: flow.pipelineId });
    },
  },
  {
    route: RERUN,
    name: 'reruns from failed',
    status: 202,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/workflow/${(await failedFlow(ctx)).workflows.main!.id}/rerun`, token: ctx.token, body: { from_failed: true } }),
    expect: async (b, ctx) => {
      const jobs = await ctx.server.call('GET', `/api/v2/workflow/${b.workflow_id}/job`, ctx.token);
      const byName = Object.fromEntries(jobs.body.items.map((j: any) => [j.name, j.status]));
      expect(byName.build).toBe('success');
      expect(byName.test).toBe('queued');
      await drive(ctx, (await failedFlow(ctx)).pipelineId);
    },
  },
  {
    route: RERUN,
    name: 'reruns chosen jobs',
    status: 202,
    call: async (ctx) => {
      const main = (await failedFlow(ctx)).workflows.main!;
      return { method: 'POST', path: `/api/v2/workflow/${main.id}/rerun`, token: ctx.token, body: { jobs: [main.jobs.test!.id] } };
    },
    expect: async (_b, ctx) => drive(ctx, (await failedFlow(ctx)).pipelineId),
  },
  {
    route: RERUN,
    name: 'from_failed and jobs together are 400',
    status: 400,
    call: async (ctx) => {
      const main = (await failedFlow(ctx)).workflows.main!;
      return { method: 'POST', path: `/api/v2/workflow/${main.id}/rerun`, token: ctx.token, body: { from_failed: true, jobs: [main.jobs.test!.id] } };
    },
  },
  {
    route: RERUN,
    name: 'from_failed that is not a boolean is 400 (not coerced)',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/workflow/${(await failedFlow(ctx)).workflows.main!.id}/rerun`, token: ctx.token, body: { from_failed: 'true' } }),
    expect: (b) => expect(b.message).toMatch(/from_failed/),
  },
  {
    route: RERUN,
    name: 'a job id that is not a UUID is 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/workflow/${(await failedFlow(ctx)).workflows.main!.id}/rerun`, token: ctx.token, body: { jobs: ['nope'] } }),
  },
  {
    route: RERUN,
    name: 'a running workflow is 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/workflow/${(await runningFlow(ctx)).workflows.main!.id}/rerun`, token: ctx.token, body: {} }),
  },
  {
    route: RERUN,
    name: 'unknown workflow is 404',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: `/api/v2/workflow/${MISSING}/rerun`, token, body: {} }),
  },
  {
    route: RERUN,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'POST', path: `/api/v2/workflow/${MISSING}/rerun`, body: {} }),
  },
];
