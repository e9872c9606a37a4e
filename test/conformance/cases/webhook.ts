import crypto from 'node:crypto';
import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const CREATE = 'POST /api/v2/webhook';
const LIST = 'GET /api/v2/webhook';
const GET = 'GET /api/v2/webhook/:webhook_id';
const PUT = 'PUT /api/v2/webhook/:webhook_id';
const DEL = 'DELETE /api/v2/webhook/:webhook_id';
const LOG = 'GET /api/v2/webhook/:webhook_id/deliveries';
const RECEIVER = 'GET /api/v2/project/:provider/:organization/:project/incoming-webhooks';
const ROTATE = 'POST /api/v2/project/:provider/:organization/:project/incoming-webhooks/rotate';

const MISSING = '00000000-0000-4000-8000-000000000000';
let rotatedFrom: string | undefined;
const suffix = () => crypto.randomBytes(4).toString('hex');

/** A fresh project of org acme; returns its id. */
async function freshProject({ server }: CaseContext): Promise<string> {
  return (await server.project(`gh/acme/hook-${suffix()}`)).id;
}

function body(projectId: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'ci events',
    events: ['workflow-completed', 'job-completed'],
    url: 'https://example.com/hook',
    'verify-tls': true,
    'signing-secret': 'sekrit-value',
    scope: { id: projectId, type: 'project' },
    ...extra,
  };
}

/** A webhook of a fresh acme project, made through the API; returns its id. */
async function freshWebhook(ctx: CaseContext): Promise<string> {
  const res = await ctx.server.call('POST', '/api/v2/webhook', ctx.token, body(await freshProject(ctx)));
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

async function otherProjectId({ server }: CaseContext): Promise<string> {
  return (await server.project(`gh/other/hook-${suffix()}`)).id;
}

export const cases: ConformanceCase[] = [
  {
    route: CREATE,
    name: 'creates a webhook (secret masked)',
    status: 201,
    call: async (ctx) => ({ method: 'POST', path: '/api/v2/webhook', token: ctx.token, body: body(await freshProject(ctx)) }),
    expect: (b) => {
      expect(b['signing-secret']).toBe('xxxxalue');
      expect(b.scope.type).toBe('project');
      expect(b.events).toEqual(['workflow-completed', 'job-completed']);
    },
  },
  {
    route: CREATE,
    name: 'missing field is a 400 naming it',
    status: 400,
    call: async (ctx) => {
      const b: Record<string, unknown> = body(await freshProject(ctx));
      delete b['verify-tls'];
      return { method: 'POST', path: '/api/v2/webhook', token: ctx.token, body: b };
    },
    expect: (b) => expect(b.message).toContain('verify-tls'),
  },
  {
    route: CREATE,
    name: 'a bad URL is a 400 naming the field',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: '/api/v2/webhook', token: ctx.token, body: body(await freshProject(ctx), { url: 'ftp://example.com' }) }),
    expect: (b) => expect(b.message).toContain("'url'"),
  },
  {
    route: CREATE,
    name: 'an unknown event is a 400',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: '/api/v2/webhook', token: ctx.token, body: body(await freshProject(ctx), { events: ['pipeline-started'] }) }),
    expect: (b) => expect(b.message).toContain('events'),
  },
  {
    route: CREATE,
    name: 'a sixth webhook of a project is a 400',
    status: 400,
    call: async (ctx) => {
      const id = await freshProject(ctx);
      for (let i = 0; i < 5; i++) expect((await ctx.server.call('POST', '/api/v2/webhook', ctx.token, body(id))).status).toBe(201);
      return { method: 'POST', path: '/api/v2/webhook', token: ctx.token, body: body(id) };
    },
    expect: (b) => expect(b.message).toContain('at most 5'),
  },
  {
    route: CREATE,
    name: "another organization's project is a 404",
    status: 404,
    call: async (ctx) => ({ method: 'POST', path: '/api/v2/webhook', token: ctx.token, body: body(await otherProjectId(ctx)) }),
  },
  {
    route: CREATE,
    name: 'no token is a 401',
    status: 401,
    call: async (ctx) => ({ method: 'POST', path: '/api/v2/webhook', body: body(await freshProject(ctx)) }),
  },
  {
    route: LIST,
    name: "lists a project's webhooks",
    status: 200,
    call: async (ctx) => {
      const id = await freshProject(ctx);
      await ctx.server.call('POST', '/api/v2/webhook', ctx.token, body(id));
      return { method: 'GET', path: `/api/v2/webhook?scope-id=${id}&scope-type=project`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.items).toHaveLength(1);
      expect(b.next_page_token).toBeNull();
    },
  },
  {
    route: LIST,
    name: 'missing scope-id is a 400',
    status: 400,
    call: (ctx) => ({ method: 'GET', path: '/api/v2/webhook?scope-type=project', token: ctx.token }),
    expect: (b) => expect(b.message).toContain('scope-id'),
  },
  {
    route: LIST,
    name: "another organization's project is a 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/webhook?scope-id=${await otherProjectId(ctx)}&scope-type=project`, token: ctx.token }),
  },
  {
    route: GET,
    name: 'gets a webhook',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/webhook/${await freshWebhook(ctx)}`, token: ctx.token }),
    expect: (b) => expect(b.name).toBe('ci events'),
  },
  {
    route: GET,
    name: 'unknown id is a 404',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/webhook/${MISSING}`, token: ctx.token }),
  },
  {
    route: GET,
    name: "a non-member's request is a 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/webhook/${await freshWebhook(ctx)}`, token: ctx.otherToken }),
  },
  {
    route: PUT,
    name: 'updates some fields',
    status: 200,
    call: async (ctx) => ({
      method: 'PUT',
      path: `/api/v2/webhook/${await freshWebhook(ctx)}`,
      token: ctx.token,
      body: { name: 'renamed', events: ['job-completed'], 'verify-tls': false, 'signing-secret': 'new-secret' },
    }),
    expect: (b) => {
      expect(b.name).toBe('renamed');
      expect(b.events).toEqual(['job-completed']);
      expect(b['verify-tls']).toBe(false);
      expect(b['signing-secret']).toBe('xxxxcret');
      expect(b.url).toBe('https://example.com/hook');
    },
  },
  {
    route: PUT,
    name: 'an unknown field is a 400 naming it',
    status: 400,
    call: async (ctx) => ({ method: 'PUT', path: `/api/v2/webhook/${await freshWebhook(ctx)}`, token: ctx.token, body: { scope: { id: MISSING, type: 'project' } } }),
    expect: (b) => expect(b.message).toContain('scope'),
  },
  {
    route: PUT,
    name: 'unknown id is a 404',
    status: 404,
    call: (ctx) => ({ method: 'PUT', path: `/api/v2/webhook/${MISSING}`, token: ctx.token, body: { name: 'x' } }),
  },
  {
    route: DEL,
    name: 'deletes a webhook',
    status: 200,
    call: async (ctx) => ({ method: 'DELETE', path: `/api/v2/webhook/${await freshWebhook(ctx)}`, token: ctx.token }),
    expect: (b) => expect(b.message).toBeTypeOf('string'),
  },
  {
    route: DEL,
    name: 'unknown id is a 404',
    status: 404,
    call: (ctx) => ({ method: 'DELETE', path: `/api/v2/webhook/${MISSING}`, token: ctx.token }),
  },
  {
    route: LOG,
    name: 'the delivery log of a webhook (circlet only)',
    spec: 'none',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/webhook/${await freshWebhook(ctx)}/deliveries`, token: ctx.token }),
    expect: (b) => expect(b).toEqual({ items: [], next_page_token: null }),
  },
  {
    route: LOG,
    name: "a non-member's request is a 404 (circlet only)",
    spec: 'none',
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/webhook/${await freshWebhook(ctx)}/deliveries`, token: ctx.otherToken }),
  },
  {
    route: RECEIVER,
    name: "the project's incoming-webhook secret and URLs (circlet only)",
    spec: 'none',
    status: 200,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/project/${ctx.projectSlug}/incoming-webhooks`, token: ctx.token }),
    expect: (b) => {
      expect(b.secret).toMatch(/^[0-9a-f]{40}$/);
      expect(b.urls.github).toContain('/hooks/github?project=');
    },
  },
  {
    route: RECEIVER,
    name: "a non-member's request is a 404 (circlet only)",
    spec: 'none',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/project/${ctx.projectSlug}/incoming-webhooks`, token: ctx.otherToken }),
  },
  {
    route: ROTATE,
    name: 'rotates the incoming-webhook secret (circlet only)',
    spec: 'none',
    status: 200,
    call: async (ctx) => {
      const slug = `gh/acme/rot-${suffix()}`;
      await ctx.server.project(slug);
      rotatedFrom = (await ctx.server.call('GET', `/api/v2/project/${slug}/incoming-webhooks`, ctx.token)).body.secret;
      return { method: 'POST', path: `/api/v2/project/${slug}/incoming-webhooks/rotate`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.secret).toMatch(/^[0-9a-f]{40}$/);
      expect(b.secret).not.toBe(rotatedFrom);
    },
  },
  {
    route: ROTATE,
    name: "a non-member's request is a 404 (circlet only)",
    spec: 'none',
    status: 404,
    call: (ctx) => ({ method: 'POST', path: `/api/v2/project/${ctx.projectSlug}/incoming-webhooks/rotate`, token: ctx.otherToken }),
  },
];
