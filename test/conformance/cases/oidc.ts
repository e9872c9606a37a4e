import { expect } from 'vitest';
import { addMember, ensureOrganization } from '../../../src/storage/organizations.ts';
import { createApiToken, ensureUser } from '../../../src/storage/users.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const ORG = '/api/v2/org/:orgID/oidc-custom-claims';
const PROJECT = '/api/v2/org/:orgID/project/:projectID/oidc-custom-claims';
const MISSING = '00000000-0000-4000-8000-000000000000';

/** acme's id and the id of gh/acme/app. */
async function ids(ctx: CaseContext): Promise<{ org: string; project: string }> {
  const res = await ctx.server.call('GET', `/api/v2/project/${ctx.projectSlug}`, ctx.token);
  return { org: res.body.organization_id, project: res.body.id };
}

/** A viewer of acme: reads claims, changes none. */
async function viewerToken(ctx: CaseContext): Promise<string> {
  const db = ctx.server.database.db;
  const user = await ensureUser(db, 'oidc-viewer');
  await addMember(db, (await ensureOrganization(db, 'github', 'acme')).id, user.id, 'viewer');
  return createApiToken(db, user.id, 'viewer');
}

const both = [
  { route: ORG, path: async (ctx: CaseContext) => `/api/v2/org/${(await ids(ctx)).org}/oidc-custom-claims`, level: 'org' },
  { route: PROJECT, path: async (ctx: CaseContext) => `/api/v2/org/${(await ids(ctx)).org}/project/${(await ids(ctx)).project}/oidc-custom-claims`, level: 'project' },
];

export const cases: ConformanceCase[] = both.flatMap(({ route, path, level }): ConformanceCase[] => [
  {
    route: `PATCH ${route}`,
    name: `sets ${level} audience and ttl`,
    status: 200,
    call: async (ctx) => ({ method: 'PATCH', path: await path(ctx), token: ctx.token, body: { audience: ['sts.example.com'], ttl: '30m' } }),
    expect: (b) => {
      expect(b.audience).toEqual(['sts.example.com']);
      expect(b.ttl).toBe('30m');
      expect(typeof b.ttl_updated_at).toBe('string');
      expect(b.project_id !== undefined).toBe(level === 'project');
    },
  },
  {
    route: `GET ${route}`,
    name: `reads ${level} claims (a viewer may)`,
    status: 200,
    call: async (ctx) => {
      await ctx.server.call('PATCH', await path(ctx), ctx.token, { audience: ['read.example.com'] });
      return { method: 'GET', path: await path(ctx), token: await viewerToken(ctx) };
    },
    expect: (b) => expect(b.audience).toEqual(['read.example.com']),
  },
  {
    route: `DELETE ${route}`,
    name: `removes ${level} ttl, keeps audience`,
    status: 200,
    call: async (ctx) => {
      await ctx.server.call('PATCH', await path(ctx), ctx.token, { audience: ['keep.example.com'], ttl: '2h' });
      return { method: 'DELETE', path: `${await path(ctx)}?claims=ttl`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.ttl).toBeUndefined();
      expect(b.audience).toEqual(['keep.example.com']);
    },
  },
  {
    route: `PATCH ${route}`,
    name: `a ${level} ttl that is not a duration is a 400 {error}`,
    status: 400,
    errorBody: 'error',
    call: async (ctx) => ({ method: 'PATCH', path: await path(ctx), token: ctx.token, body: { ttl: 'soon' } }),
    expect: (b) => expect(b.error).toMatch(/ttl/),
  },
  {
    route: `PATCH ${route}`,
    name: `a viewer cannot change ${level} claims (403)`,
    status: 403,
    errorBody: 'error',
    call: async (ctx) => ({ method: 'PATCH', path: await path(ctx), token: await viewerToken(ctx), body: { ttl: '1h' } }),
  },
  {
    route: `DELETE ${route}`,
    name: `an unknown ${level} claim name is a 400`,
    status: 400,
    errorBody: 'error',
    call: async (ctx) => ({ method: 'DELETE', path: `${await path(ctx)}?claims=ttl,colour`, token: ctx.token }),
    expect: (b) => expect(b.error).toMatch(/colour/),
  },
  {
    route: `GET ${route}`,
    name: `another organization's ${level} claims are a 403`,
    status: 403,
    errorBody: 'error',
    call: async (ctx) => ({ method: 'GET', path: await path(ctx), token: ctx.otherToken }),
  },
]).concat([
  {
    route: `GET ${ORG}`,
    name: 'a malformed org id is a 400 naming it',
    status: 400,
    errorBody: 'error',
    call: (ctx) => ({ method: 'GET', path: '/api/v2/org/nope/oidc-custom-claims', token: ctx.token }),
    expect: (b) => expect(b.error).toBe('OrgID: must be a valid UUID.'),
  },
  {
    route: `GET ${PROJECT}`,
    name: 'a project outside the organization is a 403',
    status: 403,
    errorBody: 'error',
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/org/${(await ids(ctx)).org}/project/${MISSING}/oidc-custom-claims`, token: ctx.token }),
  },
]);
