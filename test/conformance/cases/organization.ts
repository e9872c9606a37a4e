import crypto from 'node:crypto';
import { expect } from 'vitest';
import { addMember, ensureOrganization } from '../../../src/storage/organizations.ts';
import { createApiToken, ensureUser } from '../../../src/storage/users.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const CREATE = 'POST /api/v2/organization';
const DELETE = 'DELETE /api/v2/organization/:id';
const DELETE_SLUG = 'DELETE /api/v2/organization/:vcs/:org';
const LIST_ORBS = 'GET /api/v2/organization/:id/url-orb-allow-list';
const ADD_ORB = 'POST /api/v2/organization/:id/url-orb-allow-list';
const DEL_ORB = 'DELETE /api/v2/organization/:id/url-orb-allow-list/:entry';
const GROUPS = 'GET /api/v2/organizations/:org_id/groups';
const ADD_GROUP = 'POST /api/v2/organizations/:org_id/groups';
const GROUP = 'GET /api/v2/organizations/:org_id/groups/:group_id';
const DEL_GROUP = 'DELETE /api/v2/organizations/:org_id/groups/:group_id';
const MISSING = '00000000-0000-4000-8000-000000000000';
const suffix = () => crypto.randomBytes(4).toString('hex');

const makers = new WeakMap<object, string>();
/** The token of `org-maker` on this server, who creates the fresh organizations (alice's own list stays as other cases expect). */
async function maker(ctx: CaseContext): Promise<string> {
  const db = ctx.server.database.db;
  let token = makers.get(ctx.server);
  if (!token) makers.set(ctx.server, (token = await createApiToken(db, (await ensureUser(db, 'org-maker')).id, 'maker')));
  return token;
}

/** A fresh circleci-type organization org-maker administers. */
async function freshOrg(ctx: CaseContext): Promise<{ id: string; slug: string; token: string }> {
  const token = await maker(ctx);
  const res = await ctx.server.call('POST', '/api/v2/organization', token, { name: `org-${suffix()}`, vcs_type: 'circleci' });
  expect(res.status, res.text).toBe(201);
  return { ...res.body, token };
}

/** A user with the given role in acme. */
async function acmeToken(ctx: CaseContext, role: 'viewer' | 'contributor'): Promise<string> {
  const db = ctx.server.database.db;
  const user = await ensureUser(db, `acme-${role}`);
  await addMember(db, (await ensureOrganization(db, 'github', 'acme')).id, user.id, role);
  return createApiToken(db, user.id, role);
}

async function acmeId(ctx: CaseContext): Promise<string> {
  return (await ctx.server.call('GET', `/api/v2/project/${ctx.projectSlug}`, ctx.token)).body.organization_id;
}

async function entry(ctx: CaseContext, org: string): Promise<string> {
  const res = await ctx.server.call('POST', `/api/v2/organization/${org}/url-orb-allow-list`, await maker(ctx), { name: 'ours', prefix: 'https://orbs.example.com/', auth: 'none' });
  expect(res.status, res.text).toBe(200);
  return res.body.id;
}

export const cases: ConformanceCase[] = [
  {
    route: CREATE,
    name: 'creates a circleci organization, slug circleci/<id>',
    status: 201,
    call: async (ctx) => ({ method: 'POST', path: '/api/v2/organization', token: await maker(ctx), body: { name: `made-${suffix()}`, vcs_type: 'circleci' } }),
    expect: (b) => expect(b.slug).toBe(`circleci/${b.id}`),
  },
  {
    route: CREATE,
    name: 'an existing name is a 409',
    status: 409,
    call: (ctx) => ({ method: 'POST', path: '/api/v2/organization', token: ctx.token, body: { name: 'acme', vcs_type: 'github' } }),
  },
  {
    route: CREATE,
    name: 'a missing vcs_type is a 400 naming it',
    status: 400,
    call: (ctx) => ({ method: 'POST', path: '/api/v2/organization', token: ctx.token, body: { name: 'x' } }),
    expect: (b) => expect(b.message).toContain('vcs_type'),
  },
  {
    route: DELETE,
    name: 'an admin deletes an organization with its projects and contexts',
    status: 202,
    call: async (ctx) => {
      const org = await freshOrg(ctx);
      const p = await ctx.server.call('POST', `/api/v2/organization/${org.id}/project`, org.token, { name: 'doomed', vcs_url: ctx.repo });
      expect(p.status, p.text).toBe(200);
      const c = await ctx.server.call('POST', '/api/v2/context', org.token, { name: 'doomed-ctx', owner: { id: org.id, type: 'organization' } });
      expect(c.status, c.text).toBe(200);
      return { method: 'DELETE', path: `/api/v2/organization/${org.id}`, token: org.token };
    },
    expect: async (_b, ctx) => {
      const left = await ctx.server.database.db.selectFrom('contexts').select('id').where('name', '=', 'doomed-ctx').execute();
      expect(left).toEqual([]);
      expect(await ctx.server.database.db.selectFrom('projects').select('id').where('name', '=', 'doomed').execute()).toEqual([]);
    },
  },
  {
    route: DELETE,
    name: 'a contributor cannot delete the organization (403)',
    status: 403,
    call: async (ctx) => ({ method: 'DELETE', path: `/api/v2/organization/${await acmeId(ctx)}`, token: await acmeToken(ctx, 'contributor') }),
  },
  {
    route: DELETE_SLUG,
    name: 'the slug form: circleci/<id> deletes too',
    spec: 'none',
    status: 202,
    call: async (ctx) => {
      const org = await freshOrg(ctx);
      return { method: 'DELETE', path: `/api/v2/organization/${org.slug}`, token: org.token };
    },
  },
  {
    route: DELETE,
    name: "another organization is a 404",
    status: 404,
    call: async (ctx) => ({ method: 'DELETE', path: `/api/v2/organization/${await acmeId(ctx)}`, token: ctx.otherToken }),
  },
  {
    route: ADD_ORB,
    name: 'adds a URL orb allow-list entry',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${(await freshOrg(ctx)).id}/url-orb-allow-list`, token: await maker(ctx), body: { name: 'ours', prefix: 'https://orbs.example.com/', auth: 'none' } }),
    expect: (b) => expect(b.message).toBe('Created.'),
  },
  {
    route: ADD_ORB,
    name: 'a prefix that is not an http(s) URL is a 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${(await freshOrg(ctx)).id}/url-orb-allow-list`, token: await maker(ctx), body: { name: 'x', prefix: 'file:///etc/', auth: 'none' } }),
    expect: (b) => expect(b.message).toContain('prefix'),
  },
  {
    route: ADD_ORB,
    name: 'forge OAuth fetching is a 400 naming auth',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${(await freshOrg(ctx)).id}/url-orb-allow-list`, token: await maker(ctx), body: { name: 'x', prefix: 'https://a.example/', auth: 'github-app' } }),
    expect: (b) => expect(b.message).toContain("'auth'"),
  },
  {
    route: ADD_ORB,
    name: 'a viewer cannot add entries (403)',
    status: 403,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${await acmeId(ctx)}/url-orb-allow-list`, token: await acmeToken(ctx, 'viewer'), body: { name: 'x', prefix: 'https://a.example/', auth: 'none' } }),
  },
  {
    route: LIST_ORBS,
    name: 'lists the entries',
    status: 200,
    call: async (ctx) => {
      const org = await freshOrg(ctx);
      await entry(ctx, org.id);
      return { method: 'GET', path: `/api/v2/organization/${org.id}/url-orb-allow-list`, token: org.token };
    },
    expect: (b) => expect(b.items).toEqual([expect.objectContaining({ name: 'ours', prefix: 'https://orbs.example.com/', auth: 'none' })]),
  },
  {
    route: LIST_ORBS,
    name: 'an unknown organization is a 404',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/organization/${MISSING}/url-orb-allow-list`, token: ctx.token }),
  },
  {
    route: DEL_ORB,
    name: 'removes an entry',
    status: 200,
    call: async (ctx) => {
      const org = await freshOrg(ctx);
      return { method: 'DELETE', path: `/api/v2/organization/${org.id}/url-orb-allow-list/${await entry(ctx, org.id)}`, token: org.token };
    },
  },
  {
    route: DEL_ORB,
    name: 'an unknown entry is a 404',
    status: 404,
    call: async (ctx) => ({ method: 'DELETE', path: `/api/v2/organization/${(await freshOrg(ctx)).id}/url-orb-allow-list/${MISSING}`, token: await maker(ctx) }),
  },
  {
    route: ADD_GROUP,
    name: 'creates a group',
    status: 201,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organizations/${await acmeId(ctx)}/groups`, token: ctx.token, body: { name: `g-${suffix()}`, description: 'editors' } }),
    expect: (b) => expect(b.description).toBe('editors'),
  },
  {
    route: ADD_GROUP,
    name: 'a duplicate name is a 409',
    status: 409,
    call: async (ctx) => {
      const org = await acmeId(ctx);
      await ctx.server.call('POST', `/api/v2/organizations/${org}/groups`, ctx.token, { name: 'twice' });
      return { method: 'POST', path: `/api/v2/organizations/${org}/groups`, token: ctx.token, body: { name: 'twice' } };
    },
  },
  {
    route: ADD_GROUP,
    name: 'a contributor cannot create groups (403)',
    status: 403,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organizations/${await acmeId(ctx)}/groups`, token: await acmeToken(ctx, 'contributor'), body: { name: 'nope' } }),
  },
  {
    route: ADD_GROUP,
    name: 'an unknown field is a 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organizations/${await acmeId(ctx)}/groups`, token: ctx.token, body: { name: 'x', members: [] } }),
  },
  {
    route: GROUPS,
    name: 'lists groups in pages with a total',
    status: 200,
    call: async (ctx) => {
      const org = await freshOrg(ctx);
      for (const n of ['a', 'b', 'c']) await ctx.server.call('POST', `/api/v2/organizations/${org.id}/groups`, org.token, { name: n });
      return { method: 'GET', path: `/api/v2/organizations/${org.id}/groups?limit=2`, token: org.token };
    },
    expect: async (b, ctx) => {
      expect(b.items.map((g: { name: string }) => g.name)).toEqual(['a', 'b']);
      expect(b.total_count).toBe(3);
      expect(typeof b.next_page_token).toBe('string');
      void ctx;
    },
  },
  {
    route: GROUPS,
    name: "another organization's groups are a 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/organizations/${await acmeId(ctx)}/groups`, token: ctx.otherToken }),
  },
  {
    route: GROUP,
    name: 'reads a group (a viewer may)',
    status: 200,
    call: async (ctx) => {
      const org = await acmeId(ctx);
      const g = await ctx.server.call('POST', `/api/v2/organizations/${org}/groups`, ctx.token, { name: `r-${suffix()}` });
      return { method: 'GET', path: `/api/v2/organizations/${org}/groups/${g.body.id}`, token: await acmeToken(ctx, 'viewer') };
    },
  },
  {
    route: GROUP,
    name: 'an unknown group is a 404',
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/organizations/${await acmeId(ctx)}/groups/${MISSING}`, token: ctx.token }),
  },
  {
    route: DEL_GROUP,
    name: 'deletes a group',
    status: 200,
    call: async (ctx) => {
      const org = await acmeId(ctx);
      const g = await ctx.server.call('POST', `/api/v2/organizations/${org}/groups`, ctx.token, { name: `d-${suffix()}` });
      return { method: 'DELETE', path: `/api/v2/organizations/${org}/groups/${g.body.id}`, token: ctx.token };
    },
    expect: (b) => expect(b.message).toBe('Group deleted.'),
  },
  {
    route: DEL_GROUP,
    name: 'a viewer cannot delete a group (403)',
    status: 403,
    call: async (ctx) => {
      const org = await acmeId(ctx);
      const g = await ctx.server.call('POST', `/api/v2/organizations/${org}/groups`, ctx.token, { name: `v-${suffix()}` });
      return { method: 'DELETE', path: `/api/v2/organizations/${org}/groups/${g.body.id}`, token: await acmeToken(ctx, 'viewer') };
    },
  },
  {
    route: 'POST /api/v2/project/:provider/:organization/:project/envvar',
    name: 'a viewer of the organization cannot change a project (403)',
    status: 403,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/project/${ctx.projectSlug}/envvar`, token: await acmeToken(ctx, 'viewer'), body: { name: 'NOPE', value: 'x' } }),
    expect: (b) => expect(b.message).toMatch(/viewers/),
  },
  {
    route: 'GET /api/v2/project/:provider/:organization/:project/envvar',
    name: 'a viewer of the organization reads a project',
    // As the other envvar list cases: the spec's list schema does not compile (nullable without type).
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/project/${ctx.projectSlug}/envvar`, token: await acmeToken(ctx, 'viewer') }),
  },
];
