import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';
import { defaultDefinitionOf, newDefinition, projectId } from './pipeline-definition.ts';

const LIST = 'GET /api/v2/projects/:project_id/pipeline-definitions/:pipeline_definition_id/triggers';
const CREATE = 'POST /api/v2/projects/:project_id/pipeline-definitions/:pipeline_definition_id/triggers';
const GET = 'GET /api/v2/projects/:project_id/triggers/:trigger_id';
const PATCH = 'PATCH /api/v2/projects/:project_id/triggers/:trigger_id';
const DELETE = 'DELETE /api/v2/projects/:project_id/triggers/:trigger_id';

const MISSING = '00000000-0000-4000-8000-000000000000';

async function triggersPath(ctx: CaseContext, definition?: string): Promise<string> {
  return `/api/v2/projects/${await projectId(ctx)}/pipeline-definitions/${definition ?? (await defaultDefinitionOf(ctx))}/triggers`;
}

/** A new (disabled, so pushes elsewhere stay unaffected) trigger of a new definition. */
async function newTrigger(ctx: CaseContext, body: Record<string, unknown> = {}): Promise<string> {
  const res = await ctx.server.call('POST', await triggersPath(ctx, await newDefinition(ctx, '.circleci/t.yml', 't')), ctx.token, {
    event_source: { provider: 'github_app' },
    disabled: true,
    ...body,
  });
  expect(res.status, res.text).toBe(200);
  return res.body.id;
}

const triggerPath = async (ctx: CaseContext, id: string) => `/api/v2/projects/${await projectId(ctx)}/triggers/${id}`;

export const cases: ConformanceCase[] = [
  {
    route: LIST,
    name: "the default definition's trigger: the project's forge webhook, every event",
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: await triggersPath(ctx), token: ctx.token }),
    expect: async (b, ctx) => {
      expect(b.items).toHaveLength(1);
      expect(b.items[0]).toMatchObject({ event_source: { provider: 'github_oauth', repo: { full_name: 'acme/app', external_id: await projectId(ctx) } }, disabled: false });
      expect(b.items[0].event_preset).toBeUndefined();
    },
  },
  { route: LIST, name: 'unknown definition is 404', status: 404, call: async (ctx) => ({ method: 'GET', path: await triggersPath(ctx, MISSING), token: ctx.token }), expect: (b) => expect(b).toEqual({ message: 'Pipeline definition not found' }) },
  { route: LIST, name: "another organization's project is 404", status: 404, call: async (ctx) => ({ method: 'GET', path: await triggersPath(ctx), token: ctx.otherToken }) },
  { route: LIST, name: 'no token is 401', status: 401, call: () => ({ method: 'GET', path: `/api/v2/projects/${MISSING}/pipeline-definitions/${MISSING}/triggers` }) },

  {
    route: CREATE,
    name: 'creates a forge trigger with a preset and refs; it is listed',
    status: 200,
    call: async (ctx) => {
      const def = await newDefinition(ctx, '.circleci/release.yml', 'release');
      return { method: 'POST', path: await triggersPath(ctx, def), token: ctx.token, body: { event_source: { provider: 'github_app', repo: { external_id: await projectId(ctx) } }, event_preset: 'only-tags', config_ref: 'main', disabled: true } };
    },
    expect: async (b, ctx) => {
      expect(b).toMatchObject({ event_source: { provider: 'github_app' }, event_preset: 'only-tags', config_ref: 'main', disabled: true });
      const got = await ctx.server.call('GET', await triggerPath(ctx, b.id), ctx.token);
      expect(got.body).toEqual(b);
    },
  },
  {
    route: CREATE,
    name: "circlet's filters and parameters are kept and shown",
    spec: 'none', // the two extension fields are not in the spec's closed shape
    status: 200,
    call: async (ctx) => ({
      method: 'POST',
      path: await triggersPath(ctx, await newDefinition(ctx, '.circleci/f.yml', 'f')),
      token: ctx.token,
      body: { event_source: { provider: 'github_oauth' }, filters: { branches: { only: ['main', '/release-.*/'] } }, parameters: { target: 'prod' }, disabled: true },
    }),
    expect: (b) => {
      expect(b.filters).toEqual({ branches: { only: ['main', '/release-.*/'] } });
      expect(b.parameters).toEqual({ target: 'prod' });
    },
  },
  {
    route: CREATE,
    name: 'a custom webhook event source is 400 naming it',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: await triggersPath(ctx), token: ctx.token, body: { event_source: { provider: 'webhook', webhook: { sender: 'x' } }, event_name: 'deploy' } }),
    expect: (b) => expect(b.message).toMatch(/'webhook'.*not supported/),
  },
  {
    route: CREATE,
    name: 'a preset circlet cannot tell apart is 400 naming it',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: await triggersPath(ctx), token: ctx.token, body: { event_source: { provider: 'github_app' }, event_preset: 'only-labeled-prs' } }),
    expect: (b) => expect(b.message).toMatch(/only-labeled-prs/),
  },
  {
    route: CREATE,
    name: 'an unknown preset is 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: await triggersPath(ctx), token: ctx.token, body: { event_source: { provider: 'github_app' }, event_preset: 'sometimes' } }),
    expect: (b) => expect(b.message).toMatch(/event_preset/),
  },
  {
    route: CREATE,
    name: "another repository than the project's is 400",
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: await triggersPath(ctx), token: ctx.token, body: { event_source: { provider: 'github_app', repo: { external_id: '999' } } } }),
    expect: (b) => expect(b.message).toMatch(/external_id/),
  },
  {
    route: CREATE,
    name: 'missing event_source is 400 naming it',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: await triggersPath(ctx), token: ctx.token, body: { disabled: true } }),
    expect: (b) => expect(b.message).toMatch(/event_source/),
  },
  { route: CREATE, name: 'unknown definition is 404', status: 404, call: async (ctx) => ({ method: 'POST', path: await triggersPath(ctx, MISSING), token: ctx.token, body: { event_source: { provider: 'github_app' } } }) },
  { route: CREATE, name: 'no token is 401', status: 401, call: () => ({ method: 'POST', path: `/api/v2/projects/${MISSING}/pipeline-definitions/${MISSING}/triggers`, body: { event_source: { provider: 'github_app' } } }) },

  {
    route: GET,
    name: 'a trigger by id',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: await triggerPath(ctx, await newTrigger(ctx, { event_preset: 'default-branch-pushes' })), token: ctx.token }),
    expect: (b) => expect(b).toMatchObject({ event_preset: 'default-branch-pushes', disabled: true }),
  },
  { route: GET, name: 'unknown trigger is 404', status: 404, call: async (ctx) => ({ method: 'GET', path: await triggerPath(ctx, MISSING), token: ctx.token }), expect: (b) => expect(b).toEqual({ message: 'Trigger not found' }) },
  {
    route: GET,
    name: "another organization's trigger is 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: await triggerPath(ctx, await newTrigger(ctx)), token: ctx.otherToken }),
  },
  { route: GET, name: 'no token is 401', status: 401, call: () => ({ method: 'GET', path: `/api/v2/projects/${MISSING}/triggers/${MISSING}` }) },

  {
    route: PATCH,
    name: 'changes preset, refs and disabled',
    status: 200,
    call: async (ctx) => ({ method: 'PATCH', path: await triggerPath(ctx, await newTrigger(ctx)), token: ctx.token, body: { event_preset: 'all-pushes', checkout_ref: 'main', disabled: true } }),
    expect: async (b, ctx) => {
      expect(b).toMatchObject({ event_preset: 'all-pushes', checkout_ref: 'main', disabled: true });
      expect((await ctx.server.call('GET', await triggerPath(ctx, b.id), ctx.token)).body).toEqual(b);
    },
  },
  {
    route: PATCH,
    name: 'event_name on a forge trigger is 400',
    status: 400,
    call: async (ctx) => ({ method: 'PATCH', path: await triggerPath(ctx, await newTrigger(ctx)), token: ctx.token, body: { event_name: 'x' } }),
    expect: (b) => expect(b.message).toMatch(/event_name/),
  },
  {
    route: PATCH,
    name: 'an empty body is 400',
    status: 400,
    call: async (ctx) => ({ method: 'PATCH', path: await triggerPath(ctx, await newTrigger(ctx)), token: ctx.token, body: {} }),
  },
  { route: PATCH, name: 'unknown trigger is 404', status: 404, call: async (ctx) => ({ method: 'PATCH', path: await triggerPath(ctx, MISSING), token: ctx.token, body: { disabled: true } }) },
  { route: PATCH, name: 'no token is 401', status: 401, call: () => ({ method: 'PATCH', path: `/api/v2/projects/${MISSING}/triggers/${MISSING}`, body: { disabled: true } }) },

  {
    route: DELETE,
    name: 'deletes a trigger',
    status: 200,
    call: async (ctx) => ({ method: 'DELETE', path: await triggerPath(ctx, await newTrigger(ctx)), token: ctx.token }),
    expect: (b) => expect(b).toEqual({ message: 'Trigger deleted.' }),
  },
  { route: DELETE, name: 'unknown trigger is 404', status: 404, call: async (ctx) => ({ method: 'DELETE', path: await triggerPath(ctx, MISSING), token: ctx.token }) },
  { route: DELETE, name: 'no token is 401', status: 401, call: () => ({ method: 'DELETE', path: `/api/v2/projects/${MISSING}/triggers/${MISSING}` }) },
];
