// API v1.1 project settings: env vars and checkout keys, one store with v2's; additional SSH keys; follow/unfollow,
// /me, /projects and the private followed-projects list.
import crypto from 'node:crypto';
import { generateSshKeyPair } from '../../../src/domain/ssh-keys.ts';
import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const P = '/api/v1.1/project/github/acme/app';
const ENV = 'GET /api/v1.1/project/:vcs/:org/:repo/envvar';
const ENV_POST = 'POST /api/v1.1/project/:vcs/:org/:repo/envvar';
const ENV_ONE = 'GET /api/v1.1/project/:vcs/:org/:repo/envvar/:name';
const ENV_DEL = 'DELETE /api/v1.1/project/:vcs/:org/:repo/envvar/:name';
const KEYS = 'GET /api/v1.1/project/:vcs/:org/:repo/checkout-key';
const KEY_POST = 'POST /api/v1.1/project/:vcs/:org/:repo/checkout-key';
const KEY_ONE = 'GET /api/v1.1/project/:vcs/:org/:repo/checkout-key/:fingerprint';
const KEY_DEL = 'DELETE /api/v1.1/project/:vcs/:org/:repo/checkout-key/:fingerprint';
const SSH_POST = 'POST /api/v1.1/project/:vcs/:org/:repo/ssh-key';
const SSH_DEL = 'DELETE /api/v1.1/project/:vcs/:org/:repo/ssh-key';
const ME = 'GET /api/v1.1/me';
const PROJECTS = 'GET /api/v1.1/projects';
const FOLLOW = 'POST /api/v1.1/project/:vcs/:org/:repo/follow';
const UNFOLLOW = 'POST /api/v1.1/project/:vcs/:org/:repo/unfollow';
const FOLLOWED = 'GET /api/private/me/followed-projects';

const uniqName = () => `V1_${crypto.randomBytes(4).toString('hex').toUpperCase()}`;
const names = new WeakMap<CaseContext, string>();

async function v1Key(ctx: CaseContext): Promise<string> {
  const res = await ctx.server.call('POST', `${P}/checkout-key`, ctx.token, { type: 'deploy-key' });
  return res.body.fingerprint;
}

/** A fresh project of acme created through v2 by alice (who then follows it). */
async function freshProject(ctx: CaseContext): Promise<string> {
  const name = `follow-${crypto.randomBytes(4).toString('hex')}`;
  const res = await ctx.server.call('POST', '/api/v2/organization/github/acme/project', ctx.token, { name, vcs_url: ctx.repo });
  if (res.status !== 200) throw new Error(`create failed: ${res.status} ${res.text}`);
  return name;
}

export const cases: ConformanceCase[] = [
  {
    route: ENV_POST,
    name: 'creates a variable; v2 sees it (one store)',
    spec: 'v1',
    status: 200,
    call: (ctx) => {
      const name = uniqName();
      names.set(ctx, name);
      return { method: 'POST', path: `${P}/envvar`, token: ctx.token, body: { name, value: 'secret-value' } };
    },
    expect: async (b, ctx) => {
      expect(b).toEqual({ name: names.get(ctx), value: 'xxxxalue' });
      const v2 = await ctx.server.call('GET', `/api/v2/project/gh/acme/app/envvar/${names.get(ctx)}`, ctx.token);
      expect(v2.status).toBe(200);
      expect(v2.body.value).toBe('xxxxalue');
    },
  },
  {
    route: ENV_POST,
    name: 'an invalid name is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: `${P}/envvar`, token, body: { name: '1bad', value: 'x' } }),
  },
  {
    route: ENV_POST,
    name: "another organization's project is 404",
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/other/secret/envvar', token, body: { name: 'A', value: 'x' } }),
  },
  {
    route: ENV,
    name: 'lists variables (made through v2 too), masked, gh/ form and ?circle-token=',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      await ctx.server.call('POST', '/api/v2/project/gh/acme/app/envvar', ctx.token, { name: 'FROM_V2', value: 'v2-value' });
      return { method: 'GET', path: `/api/v1.1/project/gh/acme/app/envvar?circle-token=${ctx.token}` };
    },
    expect: (b) => {
      expect(b).toContainEqual({ name: 'FROM_V2', value: 'xxxxalue' });
      for (const v of b) expect(v.value.startsWith('xxxx')).toBe(true);
    },
  },
  {
    route: ENV,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'GET', path: `${P}/envvar` }),
  },
  {
    route: ENV_ONE,
    name: 'one variable, masked, with Basic auth',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      await ctx.server.call('POST', `${P}/envvar`, ctx.token, { name: 'ONE_V1', value: 'abcdefgh' });
      return { method: 'GET', path: `${P}/envvar/ONE_V1`, headers: { authorization: `Basic ${Buffer.from(`${ctx.token}:`).toString('base64')}` } };
    },
    expect: (b) => expect(b).toEqual({ name: 'ONE_V1', value: 'xxxxefgh' }),
  },
  {
    route: ENV_ONE,
    name: 'a missing variable is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `${P}/envvar/NOPE_NOT_HERE`, token }),
  },
  {
    route: ENV_DEL,
    name: 'deletes a variable; v2 no longer sees it',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      await ctx.server.call('POST', '/api/v2/project/gh/acme/app/envvar', ctx.token, { name: 'DEL_ME', value: 'x' });
      return { method: 'DELETE', path: `${P}/envvar/DEL_ME`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      expect(b).toEqual({ message: 'OK' });
      expect((await ctx.server.call('GET', '/api/v2/project/gh/acme/app/envvar/DEL_ME', ctx.token)).status).toBe(404);
    },
  },
  {
    route: ENV_DEL,
    name: 'a missing variable is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'DELETE', path: `${P}/envvar/NOPE_NOT_HERE`, token }),
  },

  {
    route: KEY_POST,
    name: 'creates a deploy key (v1.1 shape)',
    spec: 'v1',
    status: 200,
    call: ({ token }) => ({ method: 'POST', path: `${P}/checkout-key`, token, body: { type: 'deploy-key' } }),
    expect: (b) => {
      expect(b).toMatchObject({ type: 'deploy-key', preferred: expect.any(Boolean) });
      expect(b.public_key).toMatch(/^ssh-/);
      expect(b.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
      expect(Date.parse(b.time)).not.toBeNaN();
    },
  },
  {
    route: KEY_POST,
    name: 'an unknown type is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: `${P}/checkout-key`, token, body: { type: 'nope' } }),
  },
  {
    route: KEYS,
    name: 'lists keys, the v2-made ones too (never the private half)',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      await ctx.server.call('POST', '/api/v2/project/gh/acme/app/checkout-key', ctx.token, { type: 'deploy-key' });
      return { method: 'GET', path: `${P}/checkout-key`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.length).toBeGreaterThan(0);
      expect(b.filter((k: any) => k.preferred)).toHaveLength(1);
      expect(JSON.stringify(b)).not.toContain('PRIVATE');
    },
  },
  {
    route: KEY_ONE,
    name: 'one key by its fingerprint',
    spec: 'v1',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `${P}/checkout-key/${await v1Key(ctx)}`, token: ctx.token }),
    expect: (b) => expect(b.type).toBe('deploy-key'),
  },
  {
    route: KEY_ONE,
    name: 'an unknown fingerprint is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `${P}/checkout-key/00:11`, token }),
  },
  {
    route: KEY_DEL,
    name: 'deletes a key',
    spec: 'v1',
    status: 200,
    call: async (ctx) => ({ method: 'DELETE', path: `${P}/checkout-key/${await v1Key(ctx)}`, token: ctx.token }),
    expect: (b) => expect(b).toEqual({ message: 'OK' }),
  },
  {
    route: KEY_DEL,
    name: 'an unknown fingerprint is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'DELETE', path: `${P}/checkout-key/00:11`, token }),
  },

  {
    route: SSH_POST,
    name: 'adds an SSH key for a host: 200, no body; the key is never answered',
    spec: 'none',
    status: 200,
    call: ({ token }) => ({ method: 'POST', path: `${P}/ssh-key`, token, body: { hostname: 'deploy.example.com', private_key: generateSshKeyPair().privateKey } }),
    expect: (b) => expect(b).toBeUndefined(),
  },
  {
    route: SSH_POST,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'POST', path: `${P}/ssh-key`, body: { hostname: 'example.com', private_key: generateSshKeyPair().privateKey } }),
  },
  {
    route: SSH_POST,
    name: 'what is not a private key is 400, naming why',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: `${P}/ssh-key`, token, body: { hostname: 'example.com', private_key: 'RSA private key' } }),
    expect: (b) => expect(b.message).toBe('private_key: not a PEM or OpenSSH private key'),
  },
  {
    route: SSH_POST,
    name: 'a missing hostname is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: `${P}/ssh-key`, token, body: { private_key: generateSshKeyPair().privateKey } }),
    expect: (b) => expect(b.message).toMatch(/hostname/),
  },
  {
    route: SSH_DEL,
    name: 'deletes a key by fingerprint and hostname: 200, no body',
    spec: 'none',
    status: 200,
    call: async ({ server, token }) => {
      const pair = generateSshKeyPair();
      const add = await server.call('POST', `${P}/ssh-key`, token, { hostname: 'gone.example.com', private_key: pair.privateKey });
      expect(add.status).toBe(200);
      expect(add.text).toBe('');
      return { method: 'DELETE', path: `${P}/ssh-key`, token, body: { fingerprint: pair.fingerprintMd5, hostname: 'gone.example.com' } };
    },
  },
  {
    route: SSH_DEL,
    name: 'an unknown fingerprint is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'DELETE', path: `${P}/ssh-key`, token, body: { fingerprint: '00:11:22', hostname: 'example.com' } }),
    expect: (b) => expect(b.message).toBe('SSH key not found'),
  },
  {
    route: ME,
    name: 'the current user',
    spec: 'v1',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v1.1/me', token }),
    expect: (b) => expect(b).toMatchObject({ login: 'alice', admin: false, user_key_fingerprint: null }),
  },
  {
    route: ME,
    name: 'a bad token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v1.1/me', token: 'nope' }),
  },
  {
    route: FOLLOW,
    name: 'follows a project; /projects and followed-projects list it',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      const name = await freshProject(ctx);
      await ctx.server.call('POST', `/api/v1.1/project/github/acme/${name}/unfollow`, ctx.token);
      names.set(ctx, name);
      return { method: 'POST', path: `/api/v1.1/project/github/acme/${name}/follow`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      const name = names.get(ctx)!;
      expect(b).toMatchObject({ following: true, username: 'acme', reponame: name });
      const projects = (await ctx.server.call('GET', '/api/v1.1/projects', ctx.token)).body;
      expect(projects.map((p: any) => p.reponame)).toContain(name);
    },
  },
  {
    route: FOLLOW,
    name: "another organization's project is 404",
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/other/secret/follow', token }),
  },
  {
    route: UNFOLLOW,
    name: 'unfollows: the project leaves /projects and followed-projects',
    spec: 'none', // the spec documents no unfollow; the answer is follow's shape
    status: 200,
    call: async (ctx) => {
      const name = await freshProject(ctx);
      names.set(ctx, name);
      return { method: 'POST', path: `/api/v1.1/project/gh/acme/${name}/unfollow`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      const name = names.get(ctx)!;
      expect(b).toMatchObject({ following: false, reponame: name });
      const projects = (await ctx.server.call('GET', '/api/v1.1/projects', ctx.token)).body;
      expect(projects.map((p: any) => p.reponame)).not.toContain(name);
      const followed = (await ctx.server.call('GET', '/api/private/me/followed-projects', ctx.token)).body;
      expect(followed.items.map((p: any) => p.name)).not.toContain(name);
    },
  },
  {
    route: UNFOLLOW,
    name: 'a missing project is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/acme/nope/unfollow', token }),
  },
  {
    route: PROJECTS,
    name: 'followed projects in v1.1 shape; a trigger follows',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      await ctx.server.call('POST', '/api/v1.1/project/github/acme/app/unfollow', ctx.token);
      await ctx.server.call('POST', '/api/v2/project/gh/acme/app/pipeline', ctx.token, {});
      return { method: 'GET', path: '/api/v1.1/projects', token: ctx.token };
    },
    expect: (b, ctx) => {
      const app = b.find((p: any) => p.reponame === 'app');
      expect(app).toMatchObject({ username: 'acme', vcs_url: ctx.repo, followed: true, branches: {} });
    },
  },
  {
    route: PROJECTS,
    name: 'a user of another organization sees none of acme',
    spec: 'v1',
    status: 200,
    call: ({ otherToken }) => ({ method: 'GET', path: '/api/v1.1/projects', token: otherToken }),
    expect: (b) => {
      for (const p of b) expect(p.username).not.toBe('acme');
    },
  },
  {
    route: FOLLOWED,
    name: 'the followed projects, paged',
    spec: 'none',
    status: 200,
    call: async (ctx) => {
      await freshProject(ctx);
      return { method: 'GET', path: '/api/private/me/followed-projects', token: ctx.token };
    },
    expect: (b) => {
      expect(b.next_page_token).toBeNull();
      expect(b.items.length).toBeGreaterThan(0);
      for (const p of b.items) expect(p).toMatchObject({ name: expect.any(String), slug: `gh/acme/${p.name}`, vcs_type: 'github', id: expect.any(String) });
      const slugs = b.items.map((p: any) => p.slug);
      expect(slugs).toEqual([...slugs].sort());
    },
  },
  {
    route: FOLLOWED,
    name: 'a bad page-token is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'GET', path: '/api/private/me/followed-projects?page-token=zzz', token }),
  },
  {
    route: FOLLOWED,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/private/me/followed-projects' }),
  },
];

cases.push(
  {
    route: 'POST /api/v1.1/project/:vcs/:org/:repo/:build_num(^\\d+$)/ssh-users',
    name: 'answers the build (no SSH access is granted by circlet)',
    spec: 'v1',
    status: 200,
    call: async (ctx) => {
      const builds = (await ctx.server.call('GET', `${P}?limit=1`, ctx.token)).body;
      return { method: 'POST', path: `${P}/${builds[0].build_num}/ssh-users`, token: ctx.token };
    },
    expect: (b) => expect(b).toMatchObject({ reponame: 'app', username: 'acme', build_num: expect.any(Number) }),
  },
  {
    route: 'POST /api/v1.1/project/:vcs/:org/:repo/:build_num(^\\d+$)/ssh-users',
    name: 'an unknown build is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: `${P}/999999/ssh-users`, token }),
  },
  {
    route: 'POST /api/v1.1/user/heroku-key',
    name: 'a Heroku key is accepted (and not kept)',
    spec: 'none',
    status: 200,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/user/heroku-key', token, body: { apikey: 'heroku-api-key' } }),
  },
  {
    route: 'POST /api/v1.1/user/heroku-key',
    name: 'no apikey is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/user/heroku-key', token, body: {} }),
  },
);
