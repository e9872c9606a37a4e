import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const LIST = 'GET /api/v2/projects/:project_id/pipeline-definitions';
const GET = 'GET /api/v2/projects/:project_id/pipeline-definitions/:pipeline_definition_id';

const MISSING = '00000000-0000-4000-8000-000000000000';

async function projectId(ctx: CaseContext, slug = 'gh/acme/app', token = ctx.token): Promise<string> {
  return (await ctx.server.call('GET', `/api/v2/project/${slug}`, token)).body.id;
}

async function definitionId(ctx: CaseContext): Promise<string> {
  const res = await ctx.server.call('GET', `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions`, ctx.token);
  return res.body.items[0].id;
}

export const cases: ConformanceCase[] = [
  {
    route: LIST,
    name: "a project's one definition: its .circleci/config.yml",
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions`, token: ctx.token }),
    expect: async (b, ctx) => {
      expect(b.items).toHaveLength(1);
      const d = b.items[0];
      expect(d.config_source).toEqual({ provider: 'github_oauth', repo: { full_name: 'acme/app', external_id: await projectId(ctx) }, file_path: '.circleci/config.yml' });
      expect(d.checkout_source.repo.full_name).toBe('acme/app');
      // Stable: derived from the project id, the same on every call.
      expect(await definitionId(ctx)).toBe(d.id);
    },
  },
  {
    route: LIST,
    name: 'unknown project is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/projects/${MISSING}/pipeline-definitions`, token }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: LIST,
    name: 'a malformed project id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/projects/nope/pipeline-definitions', token }),
  },
  {
    route: LIST,
    name: "another organization's project is 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions`, token: ctx.otherToken }),
  },
  {
    route: LIST,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: `/api/v2/projects/${MISSING}/pipeline-definitions` }),
  },
  {
    route: GET,
    name: 'the definition by id',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions/${await definitionId(ctx)}`, token: ctx.token }),
    expect: async (b, ctx) => {
      expect(b.id).toBe(await definitionId(ctx));
      expect(b.config_source.file_path).toBe('.circleci/config.yml');
    },
  },
  {
    route: GET,
    name: "another project's definition id is 404",
    status: 404,
    call: async (ctx) => {
      const other = (await ctx.server.call('GET', `/api/v2/projects/${await projectId(ctx, 'gh/other/secret', ctx.otherToken)}/pipeline-definitions`, ctx.otherToken)).body.items[0].id;
      return { method: 'GET', path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions/${other}`, token: ctx.token };
    },
    expect: (b) => expect(b).toEqual({ message: 'Pipeline definition not found' }),
  },
  {
    route: GET,
    name: 'unknown project is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/projects/${MISSING}/pipeline-definitions/${MISSING}`, token }),
  },
  {
    route: GET,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: `/api/v2/projects/${MISSING}/pipeline-definitions/${MISSING}` }),
  },
];
