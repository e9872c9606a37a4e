import { expect } from 'vitest';
import type { ConformanceCase } from '../harness.ts';
import { runFlow, settledFlow } from '../flows.ts';
import { getJob } from '../../../src/storage/jobs.ts';
import { insertTestResults } from '../../../src/storage/test-results.ts';

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
    name: 'a passing test without a message has message "" (a string, as CircleCI sends), never null',
    status: 200,
    call: async (ctx) => {
      const flow = await runFlow(ctx);
      const build = flow.workflows.main!.jobs.build!;
      const job = (await getJob(ctx.server.database.db, build.id))!;
      const at = new Date().toISOString();
      const row = { project_id: job.project_id, job_id: job.id, node_index: 0, classname: 'suite', file: 'a.test.ts', run_time: 0.5, source: 'junit.xml', created_at: at };
      await insertTestResults(ctx.server.database.db, [
        { ...row, id: crypto.randomUUID(), name: 'passes', result: 'success', message: '' },
        { ...row, id: crypto.randomUUID(), name: 'fails', result: 'failure', message: 'expected 1 to be 2' },
      ]);
      return { method: 'GET', path: `/api/v2/project/${flow.slug}/${build.job_number}/tests`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.items).toHaveLength(2);
      expect(b.items.find((t: any) => t.name === 'passes')).toMatchObject({ message: '', result: 'success', run_time: 0.5, file: 'a.test.ts' });
      expect(b.items.find((t: any) => t.name === 'fails').message).toBe('expected 1 to be 2');
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
