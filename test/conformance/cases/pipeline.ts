import crypto from 'node:crypto';
import { expect } from 'vitest';
import { makeRepo } from '../../helpers/git.ts';
import { agentFor, flowProject, settledFlow } from '../flows.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const LIST = 'GET /api/v2/pipeline';
const GET = 'GET /api/v2/pipeline/:id';
const CONFIG = 'GET /api/v2/pipeline/:id/config';
const VALUES = 'GET /api/v2/pipeline/:id/values';
const WORKFLOWS = 'GET /api/v2/pipeline/:id/workflow';
const CONTINUE = 'POST /api/v2/pipeline/continue';
const PROJECT_LIST = 'GET /api/v2/project/:provider/:organization/:project/pipeline';
const MINE = 'GET /api/v2/project/:provider/:organization/:project/pipeline/mine';
const BY_NUMBER = 'GET /api/v2/project/:provider/:organization/:project/pipeline/:number';
const TRIGGER = 'POST /api/v2/project/:provider/:organization/:project/pipeline';

const MISSING = '00000000-0000-4000-8000-000000000000';

/** A pipeline of the harness project `gh/acme/app` (its jobs stay queued: nobody claims cloud classes here). */
async function appPipeline({ server, token }: CaseContext): Promise<{ id: string; number: number }> {
  const res = await server.call('POST', '/api/v2/project/gh/acme/app/pipeline', token, {});
  expect(res.status, res.text).toBe(201);
  return res.body;
}

const SETUP_CONFIG = `version: 2.1
setup: true
jobs:
  generate:
    machine: true
    resource_class: conformance/runner
    steps: [{run: echo generating}]
workflows:
  setup:
    jobs: [generate]
`;

/** A setup pipeline whose setup job is running; returns the continuation key its job was given. */
async function continuationKey(ctx: CaseContext): Promise<string> {
  const repo = makeRepo(SETUP_CONFIG);
  const slug = `gh/acme/setup-${crypto.randomBytes(4).toString('hex')}`;
  await ctx.server.project(slug, repo.dir);
  const trig = await ctx.server.call('POST', `/api/v2/project/${slug}/pipeline`, ctx.token, {});
  expect(trig.body.state).toBe('setup');
  const agent = agentFor(ctx);
  for (;;) {
    const t = await agent.claim(1_000);
    if (!t) throw new Error('setup job was not claimed');
    if (t.pipeline.id === trig.body.id) return t.environment.CIRCLE_CONTINUATION_KEY!;
    await agent.finish(t, 'success');
  }
}

const CONTINUED = `version: 2.1
jobs:
  after:
    machine: true
    resource_class: conformance/runner
    steps: [{run: echo continued}]
workflows:
  continued:
    jobs: [after]
`;

export const cases: ConformanceCase[] = [
  // listPipelines
  {
    route: LIST,
    name: 'pipelines of the organizations the user is in',
    status: 200,
    call: async (ctx) => {
      await appPipeline(ctx);
      return { method: 'GET', path: '/api/v2/pipeline', token: ctx.token };
    },
    expect: (b) => {
      expect(b.items.length).toBeGreaterThan(0);
      for (const p of b.items) expect(p.project_slug).toMatch(/^gh\/acme\//);
    },
  },
  {
    route: LIST,
    name: 'filtered by org-slug',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/pipeline?org-slug=gh%2Facme', token }),
    expect: (b) => expect(b.items.every((p: any) => p.project_slug.startsWith('gh/acme/'))).toBe(true),
  },
  {
    route: LIST,
    name: "another org's slug lists nothing",
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/pipeline?org-slug=gh/other', token }),
    expect: (b) => expect(b).toEqual({ items: [], next_page_token: null }),
  },
  {
    route: LIST,
    name: 'mine=true: only pipelines the caller triggered',
    status: 200,
    call: ({ otherToken }) => ({ method: 'GET', path: '/api/v2/pipeline?mine=true', token: otherToken }),
    expect: (b) => expect(b.items).toEqual([]),
  },
  {
    route: LIST,
    name: 'a bad page-token is 400',
    status: 400,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/pipeline?page-token=garbage', token }),
  },
  {
    route: LIST,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v2/pipeline' }),
  },

  // getPipelineById
  {
    route: GET,
    name: 'a pipeline by id',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/pipeline/${(await settledFlow(ctx)).pipelineId}`, token: ctx.token }),
    expect: async (b, ctx) => {
      const flow = await settledFlow(ctx);
      expect(b).toMatchObject({ id: flow.pipelineId, number: flow.pipelineNumber, project_slug: flow.slug, state: 'created', errors: [] });
      expect(b.trigger).toMatchObject({ type: 'api', actor: { login: 'alice' } });
      expect(b.vcs).toMatchObject({ branch: 'main', provider_name: 'GitHub' });
      expect(b.vcs.revision).toMatch(/^[0-9a-f]{40}$/);
    },
  },
  {
    route: GET,
    name: 'unknown id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/pipeline/${MISSING}`, token }),
    expect: (b) => expect(b).toEqual({ message: 'Pipeline not found' }),
  },
  {
    route: GET,
    name: 'a malformed id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/pipeline/not-a-uuid', token }),
  },
  {
    route: GET,
    name: "another organization's pipeline is 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/pipeline/${(await settledFlow(ctx)).pipelineId}`, token: ctx.otherToken }),
  },
  {
    route: GET,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: `/api/v2/pipeline/${MISSING}` }),
  },

  // getPipelineConfigById
  {
    route: CONFIG,
    name: 'source and compiled config',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/pipeline/${(await settledFlow(ctx)).pipelineId}/config`, token: ctx.token }),
    expect: (b) => {
      expect(b.source).toContain('workflows:');
      expect(b.compiled).toContain('echo hello');
      expect(b['setup-config']).toBeUndefined();
    },
  },
  {
    route: CONFIG,
    name: 'unknown pipeline is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/pipeline/${MISSING}/config`, token }),
  },

  // getPipelineValuesById
  {
    route: VALUES,
    name: 'pipeline values',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/pipeline/${(await settledFlow(ctx)).pipelineId}/values`, token: ctx.token }),
    expect: async (b, ctx) => {
      const flow = await settledFlow(ctx);
      expect(b['pipeline.id']).toBe(flow.pipelineId);
      expect(b['pipeline.number']).toBe(flow.pipelineNumber);
      expect(b['pipeline.git.branch']).toBe('main');
    },
  },
  {
    route: VALUES,
    name: 'unknown pipeline is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/pipeline/${MISSING}/values`, token }),
  },

  // listWorkflowsByPipelineId
  {
    route: WORKFLOWS,
    name: 'workflows of a pipeline',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/pipeline/${(await settledFlow(ctx)).pipelineId}/workflow`, token: ctx.token }),
    expect: (b) => {
      expect(b.items.map((w: any) => [w.name, w.status]).sort()).toEqual([
        ['gated', 'on_hold'],
        ['main', 'success'],
      ]);
      expect(b.next_page_token).toBeNull();
    },
  },
  {
    route: WORKFLOWS,
    name: 'unknown pipeline is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/pipeline/${MISSING}/workflow`, token }),
  },
  {
    route: WORKFLOWS,
    name: 'a bad page-token is 400',
    status: 400,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/pipeline/${(await settledFlow(ctx)).pipelineId}/workflow?page-token=garbage`, token: ctx.token }),
  },

  // continuePipeline
  {
    route: CONTINUE,
    name: 'continues a setup pipeline',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: '/api/v2/pipeline/continue', token: ctx.token, body: { 'continuation-key': await continuationKey(ctx), configuration: CONTINUED } }),
    expect: (b) => expect(typeof b.message).toBe('string'),
  },
  {
    route: CONTINUE,
    name: 'an unknown continuation key is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/pipeline/continue', token, body: { 'continuation-key': 'nope', configuration: CONTINUED } }),
  },
  {
    route: CONTINUE,
    name: 'a configuration that is not a string is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/pipeline/continue', token, body: { 'continuation-key': 'nope', configuration: { version: 2.1 } } }),
  },
  {
    route: CONTINUE,
    name: 'a missing configuration is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/pipeline/continue', token, body: { 'continuation-key': 'nope' } }),
    expect: (b) => expect(b.message).toMatch(/configuration/),
  },
  {
    route: CONTINUE,
    name: 'without a token: the continuation key is the credential',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: '/api/v2/pipeline/continue', body: { 'continuation-key': await continuationKey(ctx), configuration: CONTINUED } }),
  },

  // listPipelinesForProject
  {
    route: PROJECT_LIST,
    name: 'pipelines of a project, newest first',
    status: 200,
    call: async (ctx) => {
      await settledFlow(ctx);
      return { method: 'GET', path: `/api/v2/project/${(await flowProject(ctx)).slug}/pipeline`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.items.length).toBeGreaterThan(0);
      const numbers = b.items.map((p: any) => p.number);
      expect(numbers).toEqual([...numbers].sort((x, y) => y - x));
    },
  },
  {
    route: PROJECT_LIST,
    name: 'filtered by branch',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/pipeline?branch=no-such-branch', token }),
    expect: (b) => expect(b).toEqual({ items: [], next_page_token: null }),
  },
  {
    route: PROJECT_LIST,
    name: "another organization's project is 404",
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/other/secret/pipeline', token }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: PROJECT_LIST,
    name: 'a bad page-token is 400',
    status: 400,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/pipeline?page-token=garbage', token }),
  },

  // listMyPipelines
  {
    route: MINE,
    name: 'pipelines the caller triggered',
    status: 200,
    call: async (ctx) => {
      await appPipeline(ctx);
      return { method: 'GET', path: '/api/v2/project/gh/acme/app/pipeline/mine', token: ctx.token };
    },
    expect: (b) => {
      expect(b.items.length).toBeGreaterThan(0);
      for (const p of b.items) expect(p.trigger.actor.login).toBe('alice');
    },
  },
  {
    route: MINE,
    name: 'missing project is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/nope/pipeline/mine', token }),
  },

  // getPipelineByNumber
  {
    route: BY_NUMBER,
    name: 'a pipeline by number',
    status: 200,
    call: async (ctx) => {
      const flow = await settledFlow(ctx);
      return { method: 'GET', path: `/api/v2/project/${flow.slug}/pipeline/${flow.pipelineNumber}`, token: ctx.token };
    },
    expect: async (b, ctx) => expect(b.id).toBe((await settledFlow(ctx)).pipelineId),
  },
  {
    route: BY_NUMBER,
    name: 'unknown number is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/pipeline/999999', token }),
    expect: (b) => expect(b).toEqual({ message: 'Pipeline not found' }),
  },
  {
    route: BY_NUMBER,
    name: 'a non-numeric number is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/pipeline/abc', token }),
  },

  // triggerPipeline
  {
    route: TRIGGER,
    name: 'triggers on the default branch',
    status: 201,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline', token, body: {} }),
    expect: async (b, { server, token }) => {
      expect(b.state).toBe('created');
      const p = await server.call('GET', `/api/v2/pipeline/${b.id}`, token);
      expect(p.body.vcs.branch).toBe('main');
    },
  },
  {
    route: TRIGGER,
    name: 'an empty branch and tag (as clients send them) are not given: the default branch',
    status: 201,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline', token, body: { branch: '', tag: '' } }),
    expect: async (b, { server, token }) => {
      const p = await server.call('GET', `/api/v2/pipeline/${b.id}`, token);
      expect(p.body.vcs.branch).toBe('main');
      expect(p.body.state).not.toBe('errored');
    },
  },
  {
    route: TRIGGER,
    name: 'no body triggers on the default branch',
    status: 201,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline', token }),
  },
  {
    route: TRIGGER,
    name: 'with pipeline parameters',
    status: 201,
    call: async (ctx) => ({ method: 'POST', path: `/api/v2/project/${(await flowProject(ctx)).slug}/pipeline`, token: ctx.token, body: { parameters: { greeting: 'bonjour' } } }),
    expect: async (b, { server, token }) => {
      expect(b.state).toBe('created');
      const cfg = await server.call('GET', `/api/v2/pipeline/${b.id}/config`, token);
      expect(cfg.body.compiled).toContain('echo bonjour');
    },
  },
  {
    route: TRIGGER,
    name: 'an undeclared parameter gives an errored pipeline',
    status: 201,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline', token, body: { parameters: { nope: 1 } } }),
    expect: async (b, { server, token }) => {
      const p = await server.call('GET', `/api/v2/pipeline/${b.id}`, token);
      expect(p.body.state).toBe('errored');
      expect(p.body.errors[0].type).toBe('config');
    },
  },
  {
    route: TRIGGER,
    name: 'a missing branch gives an errored pipeline (config-fetch)',
    status: 201,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline', token, body: { branch: 'no-such-branch' } }),
    expect: async (b, { server, token }) => {
      const p = await server.call('GET', `/api/v2/pipeline/${b.id}`, token);
      expect(p.body).toMatchObject({ state: 'errored', errors: [{ type: 'config-fetch' }] });
    },
  },
  {
    route: TRIGGER,
    name: 'branch and tag together are 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline', token, body: { branch: 'main', tag: 'v1' } }),
  },
  {
    route: TRIGGER,
    name: 'a branch that is not a string is 400 (not coerced)',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline', token, body: { branch: 1 } }),
    expect: (b) => expect(b.message).toMatch(/branch/),
  },
  {
    route: TRIGGER,
    name: 'a parameter of the wrong type is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline', token, body: { parameters: { x: { nested: true } } } }),
  },
  {
    route: TRIGGER,
    name: 'a body that is not an object is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline', token, body: '[1]' }),
  },
  {
    route: TRIGGER,
    name: "another organization's project is 404",
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/other/secret/pipeline', token, body: {} }),
  },
  {
    route: TRIGGER,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/pipeline', body: {} }),
  },
];
