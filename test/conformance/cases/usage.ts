import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const CREATE = 'POST /api/v2/organizations/:org_id/usage_export_job';
const GET = 'GET /api/v2/organizations/:org_id/usage_export_job/:usage_export_job_id';
const MISSING = '00000000-0000-4000-8000-000000000000';

async function acmeId({ server, token }: CaseContext): Promise<string> {
  return (await server.call('GET', '/api/v2/me/collaborations', token)).body.find((o: any) => o.slug === 'gh/acme').id;
}

const range = { start: '2026-01-01T00:00:00Z', end: '2026-01-08T00:00:00Z' };

async function newExport(ctx: CaseContext): Promise<string> {
  const res = await ctx.server.call('POST', `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job`, ctx.token, range);
  expect(res.status, res.text).toBe(201);
  return res.body.usage_export_job_id;
}

async function completed(ctx: CaseContext, id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await ctx.server.call('GET', `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job/${id}`, ctx.token);
    if (res.body.state === 'completed') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('export did not complete');
}

export const cases: ConformanceCase[] = [
  {
    route: CREATE,
    name: 'starts an export of a date range',
    status: 201,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job`, token: ctx.token, body: range }),
    expect: (b) => expect(b).toMatchObject({ state: 'created', start: '2026-01-01T00:00:00.000Z', end: '2026-01-08T00:00:00.000Z', download_urls: [] }),
  },
  {
    route: CREATE,
    name: 'start after end is 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job`, token: ctx.token, body: { start: range.end, end: range.start } }),
    expect: (b) => expect(b.message).toMatch(/start.*before.*end/),
  },
  {
    route: CREATE,
    name: 'more than 32 days is 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job`, token: ctx.token, body: { start: '2026-01-01T00:00:00Z', end: '2026-03-01T00:00:00Z' } }),
    expect: (b) => expect(b.message).toMatch(/32 days/),
  },
  {
    route: CREATE,
    name: 'a malformed date is 400 naming it',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job`, token: ctx.token, body: { start: 'yesterday', end: range.end } }),
    expect: (b) => expect(b.message).toMatch(/start/),
  },
  {
    route: CREATE,
    name: 'a shared organization the caller is not in is 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job`, token: ctx.token, body: { ...range, shared_org_ids: [MISSING] } }),
    expect: (b) => expect(b.message).toMatch(/shared_org_ids/),
  },
  {
    route: CREATE,
    name: 'an organization the caller is not in is 404',
    status: 404,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job`, token: ctx.otherToken, body: range }),
    expect: (b) => expect(b).toEqual({ message: 'Organization not found' }),
  },
  { route: CREATE, name: 'no token is 401', status: 401, call: () => ({ method: 'POST', path: `/api/v2/organizations/${MISSING}/usage_export_job`, body: range }) },

  {
    route: GET,
    name: 'a completed export with its download URLs',
    status: 200,
    call: async (ctx) => {
      const id = await newExport(ctx);
      await completed(ctx, id);
      return { method: 'GET', path: `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job/${id}`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.state).toBe('completed');
      expect(b.download_urls).toHaveLength(1);
      expect(b.download_urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v2\/organizations\/.+\/files\/0\?expires=\d+&sig=[0-9a-f]+$/);
    },
  },
  {
    route: GET,
    name: 'unknown export is 404',
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job/${MISSING}`, token: ctx.token }),
    expect: (b) => expect(b).toEqual({ message: 'Usage export job not found' }),
  },
  {
    route: GET,
    name: "another organization's export is 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/organizations/${await acmeId(ctx)}/usage_export_job/${await newExport(ctx)}`, token: ctx.otherToken }),
  },
  { route: GET, name: 'no token is 401', status: 401, call: () => ({ method: 'GET', path: `/api/v2/organizations/${MISSING}/usage_export_job/${MISSING}` }) },
];
