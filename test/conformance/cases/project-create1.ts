import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';
import { addMember, ensureOrganization } from '../../../src/storage/organizations.ts';
import { createApiToken, ensureUser } from '../../../src/storage/users.ts';

// createProject1: POST /project/{provider}/{organization}/{project}, CircleCI's deprecated
// create route, under the same rules as createProject; the answer is 201 with the settings.
const R = 'POST /api/v2/project/:provider/:organization/:project';

/** A circleci-type organization and a token of its admin (a user of its own, so other cases' organizations stay as they are). */
async function circleciOrg(ctx: CaseContext): Promise<{ id: string; token: string }> {
  const db = ctx.server.database.db;
  const org = await ensureOrganization(db, 'circleci', 'standalone-create1');
  const admin = await ensureUser(db, 'standalone-admin');
  await addMember(db, org.id, admin.id, 'admin');
  return { id: org.id, token: await createApiToken(db, admin.id, 'test') };
}

export const cases: ConformanceCase[] = [
  {
    route: R,
    name: 'creates the named project (no body) and answers 201 with its settings',
    status: 201,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/created-by-create1', token }),
    expect: async (b, { server, token }) => {
      expect(b.advanced).toBeDefined();
      expect(typeof b.advanced.autocancel_builds).toBe('boolean');
      const got = await server.call('GET', '/api/v2/project/gh/acme/created-by-create1', token);
      expect(got.status).toBe(200);
      expect(got.body.vcs_info).toEqual({ vcs_url: 'https://github.com/acme/created-by-create1', provider: 'GitHub', default_branch: 'main' });
    },
  },
  {
    route: R,
    name: "circlet's repository fields are accepted in an optional body",
    status: 201,
    call: ({ token, repo }) => ({ method: 'POST', path: '/api/v2/project/github/acme/created-with-repo', token, body: { vcs_url: repo, default_branch: 'trunk' } }),
    expect: async (_b, { server, token, repo }) => {
      const got = await server.call('GET', '/api/v2/project/gh/acme/created-with-repo', token);
      expect(got.body.vcs_info).toEqual({ vcs_url: repo, provider: 'GitHub', default_branch: 'trunk' });
    },
  },
  {
    route: R,
    name: 'an existing project is 409',
    spec: 'none',
    status: 409,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app', token }),
    expect: (b) => expect(b).toEqual({ message: 'Project already exists' }),
  },
  {
    route: R,
    name: 'a circleci organization without a repository is 405',
    status: 405,
    call: async (ctx) => {
      const org = await circleciOrg(ctx);
      return { method: 'POST', path: `/api/v2/project/circleci/${org.id}/standalone`, token: org.token };
    },
    expect: (b) => expect(b.message).toMatch(/classic Github OAuth and Bitbucket projects only/),
  },
  {
    route: R,
    name: 'an organization the caller is not in is 404',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/other/sneaky', token }),
    expect: (b) => expect(b).toEqual({ message: 'Organization not found' }),
  },
  {
    route: R,
    name: 'an invalid project name is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/bad%20name', token }),
    expect: (b) => expect(b.message).toMatch(/project name/),
  },
  {
    route: R,
    name: 'an unknown body field is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/extra', token, body: { name: 'x' } }),
  },
  {
    route: R,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v2/project/gh/acme/x' }),
  },
];
