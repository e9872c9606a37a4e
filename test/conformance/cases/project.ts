import crypto from 'node:crypto';
import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';
import { addMember, ensureOrganization } from '../../../src/storage/organizations.ts';
import { createApiToken, ensureUser } from '../../../src/storage/users.ts';
import { specV2 } from '../spec.ts';

const P = 'GET /api/v2/project/:provider/:organization/:project';
const D = 'DELETE /api/v2/project/:provider/:organization/:project';
const C_ID = 'POST /api/v2/organization/:id/project';
const C_SLUG = 'POST /api/v2/organization/:vcs/:org/project';
const S_GET = 'GET /api/v2/project/:provider/:organization/:project/settings';
const S_PATCH = 'PATCH /api/v2/project/:provider/:organization/:project/settings';

const uniq = (prefix: string) => `${prefix}-${crypto.randomBytes(4).toString('hex')}`;

async function acmeId({ server, token }: CaseContext): Promise<string> {
  const res = await server.call('GET', '/api/v2/me/collaborations', token);
  return res.body.find((o: any) => o.slug === 'gh/acme').id;
}

/** A plain (non-admin) member of acme, with a token. */
async function memberToken({ server }: CaseContext): Promise<string> {
  const user = await ensureUser(server.database.db, 'plain-member');
  await addMember(server.database.db, (await ensureOrganization(server.database.db, 'github', 'acme')).id, user.id, 'contributor');
  return createApiToken(server.database.db, user.id, 'test');
}

async function otherOrgId(ctx: CaseContext): Promise<string> {
  const res = await ctx.server.call('GET', '/api/v2/me/collaborations', ctx.otherToken);
  return res.body[0].id;
}

/** The slug-form createProject path is outside the spec's path template; validate against the id form. */
function checkCreated(body: unknown): void {
  expect(specV2().check('POST', '/api/v2/organization/00000000-0000-0000-0000-000000000000/project', 200, body)).toEqual([]);
}

/** The project the delete case removed (cases run one after another). */
let deletedPath = '';

export const cases: ConformanceCase[] = [
  // getProjectBySlug
  {
    route: P,
    name: 'a project by gh slug',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app', token }),
    expect: (b, { repo }) => {
      expect(b).toMatchObject({ slug: 'gh/acme/app', name: 'app', organization_name: 'acme', organization_slug: 'gh/acme' });
      expect(b.vcs_info).toEqual({ vcs_url: repo, provider: 'GitHub', default_branch: 'main' });
    },
  },
  {
    route: P,
    name: 'github/ provider names the same project',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/github/acme/app', token }),
    expect: (b) => expect(b.slug).toBe('gh/acme/app'),
  },
  {
    route: P,
    name: '%2F-encoded slug',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh%2Facme%2Fapp', token }),
    expect: (b) => expect(b.name).toBe('app'),
  },
  {
    route: P,
    name: 'circleci/<org-id>/<project-id> names the same project',
    status: 200,
    call: async ({ server, token }) => {
      const p = (await server.call('GET', '/api/v2/project/gh/acme/app', token)).body;
      return { method: 'GET', path: `/api/v2/project/circleci%2F${p.organization_id}%2F${p.id}`, token };
    },
    expect: (b) => expect(b.slug).toBe('gh/acme/app'),
  },
  {
    route: P,
    name: 'a bare project id (as real clients pass it) names the same project',
    spec: 'none', // the spec's path template has three segments; the body is checked in expect
    status: 200,
    call: async ({ server, token }) => {
      const p = (await server.call('GET', '/api/v2/project/gh/acme/app', token)).body;
      return { method: 'GET', path: `/api/v2/project/${p.id}`, token };
    },
    expect: (b) => {
      expect(b.slug).toBe('gh/acme/app');
      expect(specV2().check('GET', '/api/v2/project/gh/acme/app', 200, b)).toEqual([]);
    },
  },
  {
    route: 'GET /api/v2/project/:provider/:organization/:project/pipeline',
    name: 'a bare project id is accepted wherever a slug is (pipelines of the project)',
    spec: 'none', // the spec's path template has three segments; the body is checked in expect
    status: 200,
    call: async ({ server, token }) => {
      const p = (await server.call('GET', '/api/v2/project/gh/acme/app', token)).body;
      await server.call('POST', `/api/v2/project/${p.id}/pipeline`, token, {});
      return { method: 'GET', path: `/api/v2/project/${p.id}/pipeline`, token };
    },
    expect: (b) => {
      expect(b.items.length).toBeGreaterThan(0);
      for (const p of b.items) expect(p.project_slug).toBe('gh/acme/app');
      expect(specV2().check('GET', '/api/v2/project/gh/acme/app/pipeline', 200, b)).toEqual([]);
    },
  },
  {
    route: P,
    name: "another organization's project by bare id is 404 like a missing one",
    spec: 'none', // the spec's path template has three segments; the body is checked in expect
    status: 404,
    call: async ({ server, otherToken, token }) => {
      const p = (await server.call('GET', '/api/v2/project/gh/other/secret', otherToken)).body;
      return { method: 'GET', path: `/api/v2/project/${p.id}`, token };
    },
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: P,
    name: 'an unknown bare project id is 404',
    spec: 'none', // the spec's path template has three segments; the body is checked in expect
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/project/${crypto.randomUUID()}`, token }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: P,
    name: "another organization's project is 404 like a missing one",
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/other/secret', token }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: P,
    name: 'missing project is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/nope', token }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: P,
    name: 'unknown provider is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gitlab/acme/app', token }),
  },
  {
    route: P,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v2/project/gh/acme/app' }),
  },

  // deleteProjectBySlug
  {
    route: D,
    name: 'deletes a project',
    status: 200,
    call: async ({ server, token }) => {
      const name = uniq('doomed');
      await server.project(`gh/acme/${name}`);
      deletedPath = `/api/v2/project/gh/acme/${name}`;
      return { method: 'DELETE', path: deletedPath, token };
    },
    expect: async (b, { server, token }) => {
      expect(typeof b.message).toBe('string');
      expect((await server.call('GET', deletedPath, token)).status).toBe(404);
    },
  },
  {
    route: D,
    name: "another organization's project is 404 and survives",
    status: 404,
    call: ({ otherToken }) => ({ method: 'DELETE', path: '/api/v2/project/gh/acme/app', token: otherToken }),
    expect: async (b, { server, token }) => {
      expect(b).toEqual({ message: 'Project not found' });
      expect((await server.call('GET', '/api/v2/project/gh/acme/app', token)).status).toBe(200);
    },
  },
  {
    route: D,
    name: 'a plain member may not delete a project',
    status: 403,
    call: async (ctx) => ({ method: 'DELETE', path: '/api/v2/project/gh/acme/app', token: await memberToken(ctx) }),
    expect: async (b, { server, token }) => {
      expect(b.message).toBe('Permission denied.');
      expect((await server.call('GET', '/api/v2/project/gh/acme/app', token)).status).toBe(200);
    },
  },
  {
    route: D,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'DELETE', path: '/api/v2/project/gh/acme/app' }),
  },

  // createProject by organization id
  {
    route: C_ID,
    name: 'creates a project in an organization given by id',
    status: 200,
    call: async (ctx) => ({
      method: 'POST',
      path: `/api/v2/organization/${await acmeId(ctx)}/project`,
      token: ctx.token,
      body: { name: 'created-by-id', vcs_url: ctx.repo, default_branch: 'trunk' },
    }),
    expect: async (b, { server, token, repo }) => {
      expect(b).toMatchObject({ slug: 'gh/acme/created-by-id', vcs_info: { vcs_url: repo, provider: 'GitHub', default_branch: 'trunk' } });
      expect((await server.call('GET', '/api/v2/project/gh/acme/created-by-id', token)).body.id).toBe(b.id);
    },
  },
  {
    route: C_ID,
    name: 'repo_url is accepted; the repository defaults from the org and name otherwise',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${await acmeId(ctx)}/project`, token: ctx.token, body: { name: 'defaulted' } }),
    expect: (b) => expect(b.vcs_info).toEqual({ vcs_url: 'https://github.com/acme/defaulted', provider: 'GitHub', default_branch: 'main' }),
  },
  {
    route: C_ID,
    name: 'an existing name is 409',
    status: 409,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${await acmeId(ctx)}/project`, token: ctx.token, body: { name: 'app', repo_url: ctx.repo } }),
  },
  {
    route: C_ID,
    name: 'an organization the caller is not in is 404',
    status: 404,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${await otherOrgId(ctx)}/project`, token: ctx.token, body: { name: 'sneaky' } }),
    expect: (b) => expect(b.message).toBe('Organization not found'),
  },
  {
    route: C_ID,
    name: 'an unknown organization id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/organization/00000000-0000-0000-0000-000000000000/project', token, body: { name: 'x' } }),
  },
  {
    route: C_ID,
    name: 'missing name is 400 naming it',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${await acmeId(ctx)}/project`, token: ctx.token, body: { vcs_url: ctx.repo } }),
    expect: (b) => expect(b.message).toMatch(/'name'/),
  },
  {
    route: C_ID,
    name: 'a name of the wrong type is 400 naming it',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${await acmeId(ctx)}/project`, token: ctx.token, body: { name: 123 } }),
    expect: (b) => expect(b.message).toMatch(/'name'.*string/),
  },
  {
    route: C_ID,
    name: 'a name with a slash is 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${await acmeId(ctx)}/project`, token: ctx.token, body: '{"name":"a/b"}' }),
    expect: (b) => expect(b.message).toMatch(/'name'/),
  },
  {
    route: C_ID,
    name: 'malformed JSON is 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${await acmeId(ctx)}/project`, token: ctx.token, body: '{"name":' }),
    expect: (b) => expect(b.message).toBe('Invalid JSON body'),
  },
  {
    route: C_ID,
    name: 'no body is 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/${await acmeId(ctx)}/project`, token: ctx.token }),
  },
  {
    route: C_ID,
    name: 'a body over the limit is 413',
    status: 413,
    call: async (ctx) => ({
      method: 'POST',
      path: `/api/v2/organization/${await acmeId(ctx)}/project`,
      token: ctx.token,
      body: { name: 'big', vcs_url: 'x'.repeat(1_100_000) },
    }),
  },
  {
    route: C_ID,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v2/organization/00000000-0000-0000-0000-000000000000/project', body: { name: 'x' } }),
  },

  // createProject by organization slug (gh/acme, github/acme, %2F-encoded)
  {
    route: C_SLUG,
    name: 'creates a project in an organization given by slug',
    spec: 'none',
    status: 200,
    call: ({ token, repo }) => ({ method: 'POST', path: '/api/v2/organization/gh/acme/project', token, body: { name: 'created-by-slug', vcs_url: repo } }),
    expect: (b) => {
      checkCreated(b);
      expect(b.slug).toBe('gh/acme/created-by-slug');
    },
  },
  {
    route: C_SLUG,
    name: '%2F-encoded github/ org slug',
    spec: 'none',
    status: 200,
    call: ({ token, repo }) => ({ method: 'POST', path: '/api/v2/organization/github%2Facme/project', token, body: { name: 'created-encoded', repo_url: repo } }),
    expect: (b) => {
      checkCreated(b);
      expect(b.organization_slug).toBe('gh/acme');
    },
  },
  {
    route: C_SLUG,
    name: 'circleci/<org-id> org slug',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/organization/circleci/${await acmeId(ctx)}/project`, token: ctx.token, body: { name: 'created-circleci' } }),
    expect: (b) => checkCreated(b),
  },
  {
    route: C_SLUG,
    name: 'an organization the caller is not in is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/organization/gh/other/project', token, body: { name: 'sneaky' } }),
    expect: async (b, { server, otherToken }) => {
      expect(b.message).toBe('Organization not found');
      expect((await server.call('GET', '/api/v2/project/gh/other/sneaky', otherToken)).status).toBe(404);
    },
  },
  {
    route: C_SLUG,
    name: 'an unknown field is 400 naming it',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/organization/gh/acme/project', token, body: { name: 'x', vcs: 'github' } }),
    expect: (b) => expect(b.message).toMatch(/'vcs'/),
  },
  {
    route: C_SLUG,
    name: 'a repository that git would read as an option is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/organization/gh/acme/project', token, body: { name: 'x', vcs_url: '--upload-pack=touch /tmp/pwned' } }),
    expect: (b) => expect(b.message).toMatch(/'vcs_url'/),
  },
  {
    route: C_SLUG,
    name: 'a default branch that is not a branch name is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/organization/gh/acme/project', token, body: { name: 'x', default_branch: 'a branch' } }),
    expect: (b) => expect(b.message).toMatch(/'default_branch'/),
  },
  {
    route: C_SLUG,
    name: 'vcs_url and repo_url disagreeing is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/organization/gh/acme/project', token, body: { name: 'x', vcs_url: 'a', repo_url: 'b' } }),
  },
  {
    route: C_SLUG,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v2/organization/gh/acme/project', body: { name: 'x' } }),
  },

  // getProjectSettings / patchProjectSettings
  {
    route: S_GET,
    name: 'defaults of a new project',
    status: 200,
    call: async ({ server, token }) => {
      const name = uniq('settings');
      await server.project(`gh/acme/${name}`);
      return { method: 'GET', path: `/api/v2/project/gh/acme/${name}/settings`, token };
    },
    expect: (b) =>
      expect(b.advanced).toEqual({
        autocancel_builds: false,
        build_fork_prs: false,
        build_prs_only: false,
        disable_ssh: false,
        forks_receive_secret_env_vars: false,
        oss: false,
        set_github_status: true,
        setup_workflows: false,
        write_settings_requires_admin: false,
        pr_only_branch_overrides: [],
      }),
  },
  {
    route: S_GET,
    name: "another organization's project is 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/settings', token: otherToken }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: S_GET,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/settings' }),
  },
  {
    route: S_PATCH,
    name: 'updates some settings and answers all of them',
    status: 200,
    call: async ({ server, token }) => {
      const name = uniq('patch');
      await server.project(`gh/acme/${name}`);
      await server.call('PATCH', `/api/v2/project/gh/acme/${name}/settings`, token, { advanced: { oss: true } });
      return {
        method: 'PATCH',
        path: `/api/v2/project/gh%2Facme%2F${name}/settings`,
        token,
        body: { advanced: { build_fork_prs: true, set_github_status: false, pr_only_branch_overrides: ['main', 'release'] } },
      };
    },
    expect: (b) => {
      expect(b.advanced).toMatchObject({ oss: true, build_fork_prs: true, set_github_status: false, autocancel_builds: false, pr_only_branch_overrides: ['main', 'release'] });
      expect(Object.keys(b.advanced)).toHaveLength(10);
    },
  },
  {
    route: S_PATCH,
    name: 'an unknown setting is 400 naming it',
    status: 400,
    call: ({ token }) => ({ method: 'PATCH', path: '/api/v2/project/gh/acme/app/settings', token, body: { advanced: { build_everything: true } } }),
    expect: (b) => expect(b.message).toMatch(/'advanced\.build_everything'/),
  },
  {
    route: S_PATCH,
    name: 'an unknown root field is 400 naming it',
    status: 400,
    call: ({ token }) => ({ method: 'PATCH', path: '/api/v2/project/gh/acme/app/settings', token, body: { incorrect: {} } }),
    expect: (b) => expect(b.message).toMatch(/'incorrect'/),
  },
  {
    route: S_PATCH,
    name: 'a setting of the wrong type is 400 naming it (no coercion of "true")',
    status: 400,
    call: ({ token }) => ({ method: 'PATCH', path: '/api/v2/project/gh/acme/app/settings', token, body: { advanced: { autocancel_builds: 'true' } } }),
    expect: (b) => expect(b.message).toMatch(/'advanced\.autocancel_builds'.*boolean/),
  },
  {
    route: S_PATCH,
    name: 'a branch list of the wrong type is 400',
    status: 400,
    call: ({ token }) => ({ method: 'PATCH', path: '/api/v2/project/gh/acme/app/settings', token, body: { advanced: { pr_only_branch_overrides: 'main' } } }),
    expect: (b) => expect(b.message).toMatch(/pr_only_branch_overrides/),
  },
  {
    route: S_PATCH,
    name: 'no fields is 400',
    status: 400,
    call: ({ token }) => ({ method: 'PATCH', path: '/api/v2/project/gh/acme/app/settings', token, body: {} }),
    expect: (b) => expect(b.message).toBe('No JSON fields found.'),
  },
  {
    route: S_PATCH,
    name: 'malformed JSON is 400',
    status: 400,
    call: ({ token }) => ({ method: 'PATCH', path: '/api/v2/project/gh/acme/app/settings', token, body: '{"advanced": {' }),
  },
  {
    route: S_PATCH,
    name: 'a JSON array body is 400',
    status: 400,
    call: ({ token }) => ({ method: 'PATCH', path: '/api/v2/project/gh/acme/app/settings', token, body: '[]' }),
  },
  {
    route: S_PATCH,
    name: 'a plain member may change settings while write_settings_requires_admin is off',
    status: 200,
    call: async (ctx) => {
      const name = uniq('member');
      await ctx.server.project(`gh/acme/${name}`);
      return { method: 'PATCH', path: `/api/v2/project/gh/acme/${name}/settings`, token: await memberToken(ctx), body: { advanced: { oss: true } } };
    },
    expect: (b) => expect(b.advanced.oss).toBe(true),
  },
  {
    route: S_PATCH,
    name: 'only admins may turn write_settings_requires_admin on',
    status: 403,
    call: async (ctx) => ({
      method: 'PATCH',
      path: '/api/v2/project/gh/acme/app/settings',
      token: await memberToken(ctx),
      body: { advanced: { write_settings_requires_admin: true } },
    }),
  },
  {
    route: S_PATCH,
    name: 'with write_settings_requires_admin on, a plain member is 403 and an admin is not',
    status: 403,
    call: async (ctx) => {
      const name = uniq('adminonly');
      await ctx.server.project(`gh/acme/${name}`);
      const path = `/api/v2/project/gh/acme/${name}/settings`;
      const on = await ctx.server.call('PATCH', path, ctx.token, { advanced: { write_settings_requires_admin: true } });
      expect(on.status).toBe(200);
      const admin = await ctx.server.call('PATCH', path, ctx.token, { advanced: { disable_ssh: true } });
      expect(admin.status).toBe(200);
      return { method: 'PATCH', path, token: await memberToken(ctx), body: { advanced: { disable_ssh: false } } };
    },
    expect: (b) => expect(b.message).toBe('Permission denied.'),
  },
  {
    route: S_PATCH,
    name: "another organization's project is 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'PATCH', path: '/api/v2/project/gh/acme/app/settings', token: otherToken, body: { advanced: { oss: true } } }),
    expect: async (b, { server, token }) => {
      expect(b).toEqual({ message: 'Project not found' });
      expect((await server.call('GET', '/api/v2/project/gh/acme/app/settings', token)).body.advanced.oss).toBe(false);
    },
  },
  {
    route: S_PATCH,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'PATCH', path: '/api/v2/project/gh/acme/app/settings', body: { advanced: { oss: true } } }),
  },
];
