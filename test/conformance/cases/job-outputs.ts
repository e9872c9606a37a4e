import { expect } from 'vitest';
import type { ConformanceCase } from '../harness.ts';
import { settledFlow } from '../flows.ts';

export const cases: ConformanceCase[] = [
  {
    route: 'GET /api/v2/project/:provider/:organization/:project/:number/artifacts',
    name: 'artifacts of a finished job',
    status: 200,
    call: async (ctx) => {
      const flow = await settledFlow(ctx);
      return { method: 'GET', path: `/api/v2/project/${flow.slug}/${flow.workflows.main!.jobs.build!.job_number}/artifacts`, token: ctx.token };
    },
    expect: (b) => expect(b).toEqual({ items: [], next_page_token: null }),
  },
  {
    route: 'GET /api/v2/project/:provider/:organization/:project/:number/artifacts',
    name: 'unknown job is 404',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/project/${ctx.projectSlug}/999999/artifacts`, token: ctx.token }),
    expect: (b) => expect(b.message).toBe('Job not found'),
  },
  {
    route: 'GET /api/v2/project/:provider/:organization/:project/:number/artifacts',
    name: "another organization's project is 404",
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/project/gh/other/secret/1/artifacts`, token: ctx.token }),
    expect: (b) => expect(b.message).toBe('Project not found'),
  },
  {
    route: 'GET /api/v2/project/:provider/:organization/:project/:number/artifacts',
    name: 'bad page-token is 400',
    status: 400,
    call: async (ctx) => {
      const flow = await settledFlow(ctx);
      return { method: 'GET', path: `/api/v2/project/${flow.slug}/${flow.workflows.main!.jobs.build!.job_number}/artifacts?page-token=zzz`, token: ctx.token };
    },
  },
  {
    route: 'GET /api/v2/project/:provider/:organization/:project/:number/tests',
    name: 'tests of a finished job',
    status: 200,
    call: async (ctx) => {
      const flow = await settledFlow(ctx);
      return { method: 'GET', path: `/api/v2/project/${flow.slug}/${flow.workflows.main!.jobs.build!.job_number}/tests`, token: ctx.token };
    },
    expect: (b) => expect(b).toEqual({ items: [], next_page_token: null }),
  },
  {
    route: 'GET /api/v2/project/:provider/:organization/:project/:number/tests',
    name: 'unknown job is 404',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/project/${ctx.projectSlug}/999999/tests`, token: ctx.token }),
  },
  {
    route: 'GET /api/v2/project/:provider/:organization/:project/:number/tests',
    name: 'no token is 401',
    status: 401,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/project/${ctx.projectSlug}/1/tests` }),
  },
];
