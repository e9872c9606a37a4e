// API v1.1 project actions: triggers and clearing caches. Only `…/tree/:branch` is in the
// v1.1 OpenAPI document; the other trigger's build is checked against that operation's schema.
import crypto from 'node:crypto';
import { expect } from 'vitest';
import { makeRepo } from '../../helpers/git.ts';
import { FLOW_CONFIG, flowProject } from '../flows.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';
import { specV1 } from '../spec.ts';

const TRIGGER = 'POST /api/v1.1/project/:vcs/:org/:repo';
const TREE = 'POST /api/v1.1/project/:vcs/:org/:repo/tree/*';
const BUILD = 'POST /api/v1.1/project/:vcs/:org/:repo/build';
const CACHE = 'DELETE /api/v1.1/project/:vcs/:org/:repo/build-cache';

const v1 = (slug: string) => slug.replace(/^gh\//, 'github/');
const asBuild = (b: unknown) => expect(specV1().check('POST', '/api/v1.1/project/github/acme/app/tree/main', 200, b)).toEqual([]);

/** A project with branch `feature/x` and tag `v1` (tag builds need a tag filter). */
const projects = new WeakMap<CaseContext, Promise<{ slug: string; head: string; feature: string }>>();
function refsProject(ctx: CaseContext) {
  let p = projects.get(ctx);
  if (!p) {
    p = (async () => {
      const config = FLOW_CONFIG.replace('      - build\n', '      - build: {filters: {tags: {only: /.*/}}}\n').replace('resource_class: conformance/runner', 'resource_class: conformance/idle');
      const repo = makeRepo(config);
      const head = repo.commit({ 'README.md': 'two' }, 'second commit');
      repo.tag('v1');
      repo.branch('feature/x');
      const feature = repo.commit({ 'x.txt': 'x' }, 'feature commit');
      repo.checkout('main');
      const slug = `gh/acme/refs-${crypto.randomBytes(4).toString('hex')}`;
      await ctx.server.project(slug, repo.dir);
      return { slug, head, feature };
    })();
    projects.set(ctx, p);
  }
  return p;
}

export const cases: ConformanceCase[] = [
  // trigger (deprecated "trigger a new job")
  {
    route: TRIGGER,
    name: 'triggers the default branch; returns the first build',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}`, token: ctx.token }),
    expect: async (b, ctx) => {
      asBuild(b);
      expect(b).toMatchObject({ branch: 'main', vcs_revision: (await refsProject(ctx)).head, job_name: 'build', lifecycle: 'queued', why: 'api', subject: 'second commit' });
      expect(typeof b.build_num).toBe('number');
    },
  },
  {
    route: TRIGGER,
    name: 'a revision of the default branch, pipeline parameters',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({
      method: 'POST',
      path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}`,
      token: ctx.token,
      body: { revision: (await refsProject(ctx)).head, parameters: { greeting: 'hi' } },
    }),
    expect: async (b, ctx) => expect(b.vcs_revision).toBe((await refsProject(ctx)).head),
  },
  {
    route: TRIGGER,
    name: 'a tag',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}`, token: ctx.token, body: { tag: 'v1' } }),
    expect: (b) => {
      asBuild(b);
      expect(b).toMatchObject({ vcs_tag: 'v1', branch: null, job_name: 'build' });
    },
  },
  {
    route: TRIGGER,
    name: 'job (or build_parameters.CIRCLE_JOB) picks the build answered',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}`, token: ctx.token, body: { build_parameters: { CIRCLE_JOB: 'build', FOO: 'bar' } } }),
    expect: (b) => expect(b.job_name).toBe('build'),
  },
  {
    route: TRIGGER,
    name: 'a pipeline that starts no build: build_num null, dont_build says why',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}`, token: ctx.token, body: { branch: 'no-such-branch' } }),
    expect: (b) => expect(b).toMatchObject({ build_num: null, status: 'not_run', lifecycle: 'not_run' }),
  },
  {
    route: TRIGGER,
    name: 'empty or null fields a client sends for what the user left out are read as absent',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({
      method: 'POST',
      path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}`,
      token: ctx.token,
      body: { branch: '', tag: null, revision: '', job: '', build_parameters: null },
    }),
    expect: async (b, ctx) => {
      asBuild(b);
      expect(b).toMatchObject({ branch: 'main', vcs_tag: null, vcs_revision: (await refsProject(ctx)).head, job_name: 'build', lifecycle: 'queued' });
    },
  },
  {
    route: TRIGGER,
    name: 'tag and revision together are 400',
    spec: 'none',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}`, token: ctx.token, body: { tag: 'v1', revision: (await refsProject(ctx)).head } }),
  },
  {
    route: TRIGGER,
    name: 'a revision that is not a sha is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/acme/app', token, body: { revision: 'HEAD~1' } }),
  },
  {
    route: TRIGGER,
    name: 'missing project is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/acme/nope', token }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: TRIGGER,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v1.1/project/github/acme/app' }),
  },

  // trigger on a branch
  {
    route: TREE,
    name: 'triggers a branch',
    spec: 'v1',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${v1((await flowProject(ctx)).slug)}/tree/main`, token: ctx.token, body: { parallel: 2, build_parameters: { RUN_EXTRA_TESTS: 'true' } } }),
    expect: (b) => expect(b).toMatchObject({ branch: 'main', job_name: 'build', status: 'queued' }),
  },
  {
    route: TREE,
    name: 'a branch with a slash, url-encoded',
    spec: 'none', // one path segment in the spec's template: checked by hand
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}/tree/feature%2Fx`, token: ctx.token }),
    expect: async (b, ctx) => {
      asBuild(b);
      expect(b).toMatchObject({ branch: 'feature/x', vcs_revision: (await refsProject(ctx)).feature });
    },
  },
  {
    route: TREE,
    name: 'a branch with a slash, not encoded',
    spec: 'none', // one path segment in the spec's template: checked by hand
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${(await refsProject(ctx)).slug}/tree/feature/x`, token: ctx.token, body: {} }),
    expect: (b) => {
      asBuild(b);
      expect(b.branch).toBe('feature/x');
    },
  },
  {
    route: TREE,
    name: 'a tag in the body is 400',
    spec: 'none',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}/tree/main`, token: ctx.token, body: { tag: 'v1' } }),
  },
  {
    route: TREE,
    name: "another organization's project is 404",
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/other/secret/tree/main', token }),
  },

  // trigger a pipeline (deprecated)
  {
    route: BUILD,
    name: 'triggers a pipeline',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}/build`, token: ctx.token, body: { branch: 'feature/x' } }),
    expect: async (b, ctx) => {
      expect(b).toEqual({ status: 200, body: 'Build created' });
      const list = await ctx.server.call('GET', `/api/v2/project/${(await refsProject(ctx)).slug}/pipeline?branch=feature/x`, ctx.token);
      expect(list.body.items.length).toBeGreaterThan(0);
    },
  },
  {
    route: BUILD,
    name: 'no body: the default branch',
    spec: 'none',
    status: 200,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/acme/app/build', token }),
    expect: (b) => expect(b).toEqual({ status: 200, body: 'Build created' }),
  },
  {
    route: BUILD,
    name: 'empty tag and revision with a branch: the branch',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: `/api/v1.1/project/${v1((await refsProject(ctx)).slug)}/build`, token: ctx.token, body: { branch: 'feature/x', tag: '', revision: '' } }),
    expect: (b) => expect(b).toEqual({ status: 200, body: 'Build created' }),
  },
  {
    route: BUILD,
    name: 'tag with branch is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/acme/app/build', token, body: { tag: 'v1', branch: 'main' } }),
  },
  {
    route: BUILD,
    name: 'missing project is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/project/github/acme/nope/build', token, body: {} }),
  },

  // build-cache
  {
    route: CACHE,
    name: 'clears the dependency caches',
    spec: 'none',
    status: 200,
    call: ({ token }) => ({ method: 'DELETE', path: '/api/v1.1/project/github/acme/app/build-cache', token }),
    expect: (b) => expect(b).toEqual({ status: 'build dependency caches deleted' }),
  },
  {
    route: CACHE,
    name: "another organization's project is 404",
    spec: 'none',
    status: 404,
    call: ({ otherToken }) => ({ method: 'DELETE', path: '/api/v1.1/project/github/acme/app/build-cache', token: otherToken }),
  },
  {
    route: CACHE,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'DELETE', path: '/api/v1.1/project/github/acme/app/build-cache' }),
  },
];
