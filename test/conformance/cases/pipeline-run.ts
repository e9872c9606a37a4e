import crypto from 'node:crypto';
import { expect } from 'vitest';
import { makeRepo } from '../../helpers/git.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const RUN = 'POST /api/v2/project/:provider/:organization/:project/pipeline/run';

const config = (workflow: string) => `version: 2.1
jobs:
  build:
    machine: true
    resource_class: conformance/idle
    steps: [{run: echo ${workflow}}]
workflows:
  ${workflow}:
    jobs:
      - build: {filters: {tags: {only: /.*/}}}
`;

/**
 * A project whose `main` runs workflow `on-main`, branch `alt` workflow `on-alt`, tag `v1`
 * workflow `on-tag`; the head of branch `skipped` asks for `[ci skip]`.
 */
const projects = new WeakMap<CaseContext, Promise<{ slug: string; id: string }>>();
function runProject(ctx: CaseContext): Promise<{ slug: string; id: string }> {
  let p = projects.get(ctx);
  if (!p) {
    p = (async () => {
      const repo = makeRepo(config('on-main'));
      repo.branch('alt');
      repo.commit({ '.circleci/config.yml': config('on-alt') });
      repo.checkout('main');
      repo.branch('tagged');
      repo.commit({ '.circleci/config.yml': config('on-tag') });
      repo.tag('v1');
      repo.checkout('main');
      repo.branch('skipped');
      repo.commit({ 'README.md': 'docs only' }, 'Update the docs [ci skip]');
      repo.checkout('main');
      const slug = `gh/acme/run-${crypto.randomBytes(4).toString('hex')}`;
      const project = await ctx.server.project(slug, repo.dir);
      return { slug, id: project.id };
    })();
    projects.set(ctx, p);
  }
  return p;
}

async function pipelineOf(ctx: CaseContext, id: string) {
  const p = (await ctx.server.call('GET', `/api/v2/pipeline/${id}`, ctx.token)).body;
  const wfs = (await ctx.server.call('GET', `/api/v2/pipeline/${id}/workflow`, ctx.token)).body.items;
  return { ...p, workflows: wfs.map((w: any) => w.name) };
}

const run = (body?: unknown) => async (ctx: CaseContext) => ({
  method: 'POST',
  path: `/api/v2/project/${(await runProject(ctx)).slug}/pipeline/run`,
  token: ctx.token,
  body,
});

export const cases: ConformanceCase[] = [
  {
    route: RUN,
    name: 'no body: the default branch',
    status: 201,
    call: run(),
    expect: async (b, ctx) => {
      expect(b.state).toBe('created');
      expect(Object.keys(b).sort()).toEqual(['created_at', 'id', 'number', 'state']);
      const p = await pipelineOf(ctx, b.id);
      expect(p.vcs.branch).toBe('main');
      expect(p.workflows).toEqual(['on-main']);
    },
  },
  {
    route: RUN,
    name: 'the project slug with %2F',
    status: 201,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/project/${(await runProject(ctx)).slug.replace(/\//g, '%2F')}/pipeline/run`, token: ctx.token, body: {} }),
  },
  {
    route: RUN,
    name: 'with the default definition id',
    status: 201,
    call: async (ctx) => {
      const { id } = await runProject(ctx);
      const defs = await ctx.server.call('GET', `/api/v2/projects/${id}/pipeline-definitions`, ctx.token);
      return run({ definition_id: defs.body.items[0].id })(ctx);
    },
  },
  {
    route: RUN,
    name: 'config and checkout on one branch',
    status: 201,
    call: run({ config: { branch: 'alt' }, checkout: { branch: 'alt' } }),
    expect: async (b, ctx) => {
      const p = await pipelineOf(ctx, b.id);
      expect(p.vcs.branch).toBe('alt');
      expect(p.workflows).toEqual(['on-alt']);
    },
  },
  {
    route: RUN,
    name: 'config branch only: checkout follows it',
    status: 201,
    call: run({ config: { branch: 'alt' } }),
    expect: async (b, ctx) => {
      const p = await pipelineOf(ctx, b.id);
      expect(p.vcs.branch).toBe('alt');
      expect(p.workflows).toEqual(['on-alt']);
    },
  },
  {
    route: RUN,
    name: 'config from one branch, checkout of another',
    status: 201,
    call: run({ config: { branch: 'alt' }, checkout: { branch: 'main' } }),
    expect: async (b, ctx) => {
      const p = await pipelineOf(ctx, b.id);
      expect(p.vcs.branch).toBe('main');
      expect(p.workflows).toEqual(['on-alt']);
    },
  },
  {
    route: RUN,
    name: 'a tag',
    status: 201,
    call: run({ checkout: { tag: 'v1' } }),
    expect: async (b, ctx) => {
      const p = await pipelineOf(ctx, b.id);
      expect(p.vcs.tag).toBe('v1');
      expect(p.vcs.branch).toBeUndefined();
      expect(p.workflows).toEqual(['on-tag']);
    },
  },
  {
    route: RUN,
    name: 'inline config content',
    status: 201,
    call: run({ config: { content: config('inline') } }),
    expect: async (b, ctx) => expect((await pipelineOf(ctx, b.id)).workflows).toEqual(['inline']),
  },
  {
    route: RUN,
    name: 'an empty config.content (what clients send when the user gave none) is no override',
    status: 201,
    call: run({ config: { branch: 'main', content: '' } }),
    expect: async (b, ctx) => {
      const p = await pipelineOf(ctx, b.id);
      expect(p.state).not.toBe('errored');
      expect(p.vcs.branch).toBe('main');
      expect(p.workflows).not.toContain('inline');
    },
  },
  {
    route: RUN,
    name: 'empty branch, tag and definition_id are not given: the default branch',
    status: 201,
    call: run({ definition_id: '', config: { branch: '', tag: '' }, checkout: { branch: '', tag: '' } }),
    expect: async (b, ctx) => expect((await pipelineOf(ctx, b.id)).vcs.branch).toBe('main'),
  },
  {
    route: RUN,
    name: 'an undeclared parameter gives an errored pipeline',
    status: 201,
    call: run({ parameters: { nope: true } }),
    expect: async (b, ctx) => {
      const p = await pipelineOf(ctx, b.id);
      expect(p.state).toBe('errored');
    },
  },
  {
    route: RUN,
    name: 'a missing checkout branch gives an errored pipeline',
    status: 201,
    call: run({ checkout: { branch: 'no-such-branch' } }),
    expect: async (b, ctx) => expect((await pipelineOf(ctx, b.id)).errors[0].type).toBe('config-fetch'),
  },
  {
    route: RUN,
    name: '[ci skip] in the commit: no pipeline (200 {message})',
    status: 200,
    call: run({ checkout: { branch: 'skipped' } }),
    expect: async (b, ctx) => {
      expect(b).toEqual({ message: 'Ignoring pipeline due to CI skip in the commit' });
      const list = await ctx.server.call('GET', `/api/v2/project/${(await runProject(ctx)).slug}/pipeline?branch=skipped`, ctx.token);
      expect(list.body.items).toEqual([]);
    },
  },
  {
    route: RUN,
    name: 'config branch and tag together are 400',
    status: 400,
    call: run({ config: { branch: 'main', tag: 'v1' } }),
    expect: (b) => expect(b.message).toMatch(/mutually exclusive/),
  },
  {
    route: RUN,
    name: 'checkout branch and tag together are 400',
    status: 400,
    call: run({ checkout: { branch: 'main', tag: 'v1' } }),
  },
  {
    route: RUN,
    name: 'a config branch that does not exist (checkout elsewhere) is 400',
    status: 400,
    call: run({ config: { branch: 'no-such-branch' }, checkout: { branch: 'main' } }),
  },
  {
    route: RUN,
    name: 'an unknown body field is 400',
    status: 400,
    call: run({ branch: 'main' }),
    expect: (b) => expect(b.message).toBe("Unexpected body field 'branch'"),
  },
  {
    route: RUN,
    name: 'a branch that is not a string is 400',
    status: 400,
    call: run({ checkout: { branch: 1 } }),
  },
  {
    route: RUN,
    name: 'a definition_id that is not a UUID is 400',
    status: 400,
    call: run({ definition_id: 'nope' }),
  },
  {
    route: RUN,
    name: 'an unknown definition_id is 404',
    status: 404,
    call: run({ definition_id: '00000000-0000-4000-8000-000000000000' }),
  },
  {
    route: RUN,
    name: "another organization's project is 404",
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/other/secret/pipeline/run', token, body: {} }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: RUN,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline/run', body: {} }),
  },
];
