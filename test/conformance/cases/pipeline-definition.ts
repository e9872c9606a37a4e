import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const BASE = '/api/v2/projects/:project_id/pipeline-definitions';
const LIST = `GET ${BASE}`;
const CREATE = `POST ${BASE}`;
const GET = `GET ${BASE}/:pipeline_definition_id`;
const PATCH = `PATCH ${BASE}/:pipeline_definition_id`;
const DELETE = `DELETE ${BASE}/:pipeline_definition_id`;

const MISSING = '00000000-0000-4000-8000-000000000000';

export async function projectId(ctx: CaseContext, slug = 'gh/acme/app', token = ctx.token): Promise<string> {
  return (await ctx.server.call('GET', `/api/v2/project/${slug}`, token)).body.id;
}

/** The project's default definition (`.circleci/config.yml`). */
export async function defaultDefinitionOf(ctx: CaseContext): Promise<string> {
  const res = await ctx.server.call('GET', `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions`, ctx.token);
  return res.body.items.find((d: any) => d.config_source.file_path === '.circleci/config.yml').id;
}

/** A new definition of gh/acme/app reading `file`. */
export async function newDefinition(ctx: CaseContext, file = '.circleci/deploy.yml', name = 'deploy'): Promise<string> {
  const pid = await projectId(ctx);
  const res = await ctx.server.call('POST', `/api/v2/projects/${pid}/pipeline-definitions`, ctx.token, {
    name,
    config_source: { provider: 'github_app', repo: { external_id: pid }, file_path: file },
    checkout_source: { provider: 'github_app', repo: { external_id: pid } },
  });
  expect(res.status, res.text).toBe(200);
  return res.body.id;
}

/** The trigger of the definition the delete case removed (cases run one after another). */
let deletedTrigger = '';

const createBody = (pid: string, file_path = '.circleci/deploy.yml') => ({
  name: 'deploy',
  description: 'deploys',
  config_source: { provider: 'github_app', repo: { external_id: pid }, file_path },
  checkout_source: { provider: 'github_app', repo: { external_id: pid } },
});

export const cases: ConformanceCase[] = [
  {
    route: LIST,
    name: "a project's default definition: its .circleci/config.yml",
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/projects/${await projectId(ctx, 'gh/other/secret', ctx.otherToken)}/pipeline-definitions`, token: ctx.otherToken }),
    expect: async (b, ctx) => {
      expect(b.items).toHaveLength(1);
      const d = b.items[0];
      const pid = await projectId(ctx, 'gh/other/secret', ctx.otherToken);
      expect(d).toMatchObject({ name: 'Default', config_source: { provider: 'github_oauth', repo: { full_name: 'other/secret', external_id: pid }, file_path: '.circleci/config.yml' } });
      expect(d.checkout_source.repo.full_name).toBe('other/secret');
    },
  },
  {
    route: LIST,
    name: 'unknown project is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/projects/${MISSING}/pipeline-definitions`, token }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  { route: LIST, name: 'a malformed project id is 404', status: 404, call: ({ token }) => ({ method: 'GET', path: '/api/v2/projects/nope/pipeline-definitions', token }) },
  {
    route: LIST,
    name: "another organization's project is 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions`, token: ctx.otherToken }),
  },
  { route: LIST, name: 'no token is 401', status: 401, call: () => ({ method: 'GET', path: `/api/v2/projects/${MISSING}/pipeline-definitions` }) },

  {
    route: CREATE,
    name: 'creates a definition reading another config file; it is listed',
    status: 200,
    call: async (ctx) => {
      const pid = await projectId(ctx);
      return { method: 'POST', path: `/api/v2/projects/${pid}/pipeline-definitions`, token: ctx.token, body: createBody(pid) };
    },
    expect: async (b, ctx) => {
      const pid = await projectId(ctx);
      expect(b).toMatchObject({ name: 'deploy', description: 'deploys', config_source: { provider: 'github_app', repo: { external_id: pid, full_name: 'acme/app' }, file_path: '.circleci/deploy.yml' } });
      const list = await ctx.server.call('GET', `/api/v2/projects/${pid}/pipeline-definitions`, ctx.token);
      expect(list.body.items.map((d: any) => d.id)).toContain(b.id);
    },
  },
  {
    route: CREATE,
    name: 'a circleci config source needs no repo',
    status: 200,
    call: async (ctx) => {
      const pid = await projectId(ctx);
      return {
        method: 'POST',
        path: `/api/v2/projects/${pid}/pipeline-definitions`,
        token: ctx.token,
        body: { name: 'nightly', config_source: { provider: 'circleci', file_path: '.circleci/nightly.yml' }, checkout_source: { provider: 'github_app', repo: { external_id: pid } } },
      };
    },
    expect: (b) => expect(b.config_source.file_path).toBe('.circleci/nightly.yml'),
  },
  {
    route: CREATE,
    name: "another repository than the project's is 400 naming it",
    status: 400,
    call: async (ctx) => {
      const pid = await projectId(ctx);
      return { method: 'POST', path: `/api/v2/projects/${pid}/pipeline-definitions`, token: ctx.token, body: { ...createBody(pid), checkout_source: { provider: 'github_app', repo: { external_id: '12345' } } } };
    },
    expect: (b) => expect(b.message).toMatch(/checkout_source\.repo\.external_id/),
  },
  {
    route: CREATE,
    name: 'a file path leaving the repository is 400',
    status: 400,
    call: async (ctx) => {
      const pid = await projectId(ctx);
      return { method: 'POST', path: `/api/v2/projects/${pid}/pipeline-definitions`, token: ctx.token, body: createBody(pid, '../etc/passwd') };
    },
    expect: (b) => expect(b.message).toMatch(/file_path/),
  },
  {
    route: CREATE,
    name: 'missing name is 400 naming it',
    status: 400,
    call: async (ctx) => {
      const pid = await projectId(ctx);
      const { name: _n, ...body } = createBody(pid);
      return { method: 'POST', path: `/api/v2/projects/${pid}/pipeline-definitions`, token: ctx.token, body };
    },
    expect: (b) => expect(b.message).toMatch(/name/),
  },
  {
    route: CREATE,
    name: "another organization's project is 404",
    status: 404,
    call: async (ctx) => {
      const pid = await projectId(ctx);
      return { method: 'POST', path: `/api/v2/projects/${pid}/pipeline-definitions`, token: ctx.otherToken, body: createBody(pid) };
    },
  },
  { route: CREATE, name: 'no token is 401', status: 401, call: () => ({ method: 'POST', path: `/api/v2/projects/${MISSING}/pipeline-definitions`, body: {} }) },

  {
    route: GET,
    name: 'the default definition by id',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions/${await defaultDefinitionOf(ctx)}`, token: ctx.token }),
    expect: async (b, ctx) => {
      expect(b.id).toBe(await defaultDefinitionOf(ctx));
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
  { route: GET, name: 'unknown project is 404', status: 404, call: ({ token }) => ({ method: 'GET', path: `/api/v2/projects/${MISSING}/pipeline-definitions/${MISSING}`, token }) },
  { route: GET, name: 'no token is 401', status: 401, call: () => ({ method: 'GET', path: `/api/v2/projects/${MISSING}/pipeline-definitions/${MISSING}` }) },

  {
    route: PATCH,
    name: 'renames a definition and points it at another file',
    status: 200,
    call: async (ctx) => ({
      method: 'PATCH',
      path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions/${await newDefinition(ctx, '.circleci/a.yml', 'a')}`,
      token: ctx.token,
      body: { name: 'b', config_source: { file_path: '.circleci/b.yml' } },
    }),
    expect: async (b, ctx) => {
      expect(b).toMatchObject({ name: 'b', config_source: { file_path: '.circleci/b.yml' } });
      const got = await ctx.server.call('GET', `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions/${b.id}`, ctx.token);
      expect(got.body.config_source.file_path).toBe('.circleci/b.yml');
    },
  },
  {
    route: PATCH,
    name: 'an empty body is 400',
    status: 400,
    call: async (ctx) => ({ method: 'PATCH', path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions/${await defaultDefinitionOf(ctx)}`, token: ctx.token, body: {} }),
    expect: (b) => expect(b).toEqual({ message: 'No JSON fields found.' }),
  },
  {
    route: PATCH,
    name: 'an unknown field is 400',
    status: 400,
    call: async (ctx) => ({ method: 'PATCH', path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions/${await defaultDefinitionOf(ctx)}`, token: ctx.token, body: { colour: 'red' } }),
  },
  {
    route: PATCH,
    name: 'unknown definition is 404',
    status: 404,
    call: async (ctx) => ({ method: 'PATCH', path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions/${MISSING}`, token: ctx.token, body: { name: 'x' } }),
  },
  { route: PATCH, name: 'no token is 401', status: 401, call: () => ({ method: 'PATCH', path: `/api/v2/projects/${MISSING}/pipeline-definitions/${MISSING}`, body: { name: 'x' } }) },

  {
    route: DELETE,
    name: 'deletes a definition and its triggers',
    status: 200,
    call: async (ctx) => {
      const pid = await projectId(ctx);
      const id = await newDefinition(ctx, '.circleci/gone.yml', 'gone');
      const t = await ctx.server.call('POST', `/api/v2/projects/${pid}/pipeline-definitions/${id}/triggers`, ctx.token, { event_source: { provider: 'github_app' } });
      expect(t.status).toBe(200);
      deletedTrigger = t.body.id;
      return { method: 'DELETE', path: `/api/v2/projects/${pid}/pipeline-definitions/${id}`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      expect(b).toEqual({ message: 'Pipeline definition deleted.' });
      const t = await ctx.server.call('GET', `/api/v2/projects/${await projectId(ctx)}/triggers/${deletedTrigger}`, ctx.token);
      expect(t.status).toBe(404);
    },
  },
  {
    route: DELETE,
    name: "another organization's definition is 404",
    status: 404,
    call: async (ctx) => ({ method: 'DELETE', path: `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions/${await defaultDefinitionOf(ctx)}`, token: ctx.otherToken }),
  },
  { route: DELETE, name: 'no token is 401', status: 401, call: () => ({ method: 'DELETE', path: `/api/v2/projects/${MISSING}/pipeline-definitions/${MISSING}` }) },
];
