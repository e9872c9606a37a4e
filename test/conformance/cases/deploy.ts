import { expect } from 'vitest';
import { ensureComponent, ensureEnvironment, insertRelease } from '../../../src/storage/deploys.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const MISSING = '00000000-0000-4000-8000-000000000000';

let rollbacks = 0;
/** A project of its own for rollbacks, whose pipelines leave acme/app's lists as other cases expect. */
async function rollbackProject(ctx: CaseContext): Promise<string> {
  const slug = `gh/acme/rollback-${++rollbacks}-${Date.now().toString(36)}`;
  await ctx.server.project(slug, ctx.repo);
  return (await seeded(ctx, slug)).project;
}

/** acme/app (or the given project) with a component `api` released as 1.0.0 to `staging` (records as jobs make them). */
async function seeded(ctx: CaseContext, slug = ctx.projectSlug): Promise<{ org: string; project: string; env: string; component: string }> {
  const p = (await ctx.server.call('GET', `/api/v2/project/${slug}`, ctx.token)).body;
  const db = ctx.server.database.db;
  const env = await ensureEnvironment(db, p.organization_id, 'staging');
  const component = await ensureComponent(db, p.organization_id, p.id, 'api');
  await insertRelease(db, { component_id: component.id, environment_id: env.id, version: '1.0.0', namespace: 'default', status: 'SUCCESS', pipeline_id: MISSING, workflow_id: MISSING, job_id: MISSING, job_number: 1 });
  return { org: p.organization_id, project: p.id, env: env.id, component: component.id };
}

export const cases: ConformanceCase[] = [
  {
    route: 'GET /api/v2/deploy/environments',
    name: 'lists environments',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/deploy/environments?org-id=${(await seeded(ctx)).org}&page-size=5`, token: ctx.token }),
    expect: (b) => expect(b.items.map((e: { name: string }) => e.name)).toContain('staging'),
  },
  {
    route: 'GET /api/v2/deploy/environments',
    name: 'without page-size (as CircleCI\'s own client calls it): a default page',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/deploy/environments?org-id=${(await seeded(ctx)).org}`, token: ctx.token }),
    expect: (b) => expect(b.items.map((e: { name: string }) => e.name)).toContain('staging'),
  },
  {
    route: 'GET /api/v2/deploy/environments',
    name: 'a page-size over 100 is 400',
    status: 400,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/deploy/environments?org-id=${(await seeded(ctx)).org}&page-size=101`, token: ctx.token }),
    expect: (b) => expect(b.message).toContain('page-size'),
  },
  {
    route: 'GET /api/v2/deploy/environments/:environment_id',
    name: 'reads an environment',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/deploy/environments/${(await seeded(ctx)).env}`, token: ctx.token }),
    expect: (b) => expect(b.name).toBe('staging'),
  },
  {
    route: 'GET /api/v2/deploy/environments/:environment_id',
    name: "another organization's environment is a 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/deploy/environments/${(await seeded(ctx)).env}`, token: ctx.otherToken }),
  },
  {
    route: 'GET /api/v2/deploy/components',
    name: 'lists components of a project',
    status: 200,
    call: async (ctx) => {
      const s = await seeded(ctx);
      return { method: 'GET', path: `/api/v2/deploy/components?org-id=${s.org}&project-id=${s.project}&page-size=5`, token: ctx.token };
    },
    expect: (b) => expect(b.items[0]).toMatchObject({ name: 'api' }),
  },
  {
    route: 'GET /api/v2/deploy/components',
    name: 'a non-member is a 404',
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/deploy/components?org-id=${(await seeded(ctx)).org}&page-size=5`, token: ctx.otherToken }),
  },
  {
    route: 'GET /api/v2/deploy/components/:component_id',
    name: 'reads a component with its release count',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/deploy/components/${(await seeded(ctx)).component}`, token: ctx.token }),
    expect: (b) => expect(b.release_count).toBeGreaterThan(0),
  },
  {
    route: 'GET /api/v2/deploy/components/:component_id',
    name: 'an unknown component is a 404',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/deploy/components/${MISSING}`, token: ctx.token }),
  },
  {
    route: 'GET /api/v2/deploy/components/:component_id/versions',
    name: 'lists versions, the live one marked',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/deploy/components/${(await seeded(ctx)).component}/versions`, token: ctx.token }),
    expect: (b) => expect(b.items[0]).toMatchObject({ name: '1.0.0', is_live: true }),
  },
  {
    route: 'GET /api/v2/deploy/components/:component_id/versions',
    name: 'an unknown component is a 404',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/deploy/components/${MISSING}/versions`, token: ctx.token }),
  },
  {
    route: 'POST /api/v2/projects/:project_id/rollback',
    name: 'starts a rollback pipeline',
    status: 202,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/projects/${await rollbackProject(ctx)}/rollback`, token: ctx.token, body: { environment_name: 'staging', component_name: 'api', current_version: '2.0.0', target_version: '1.0.0' } }),
    expect: (b) => expect(b.rollback_type).toBe('PIPELINE'),
  },
  {
    route: 'POST /api/v2/projects/:project_id/rollback',
    name: 'a missing field is a 400 naming it',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/projects/${await rollbackProject(ctx)}/rollback`, token: ctx.token, body: { environment_name: 'staging', component_name: 'api', current_version: '2.0.0' } }),
    expect: (b) => expect(b.message).toContain('target_version'),
  },
  {
    route: 'POST /api/v2/projects/:project_id/rollback',
    name: 'an unknown component is a 404',
    status: 404,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/projects/${await rollbackProject(ctx)}/rollback`, token: ctx.token, body: { environment_name: 'staging', component_name: 'nope', current_version: '2', target_version: '1' } }),
  },
];
