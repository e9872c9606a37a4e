import crypto from 'node:crypto';
import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const CREATE = 'POST /api/v2/project/:provider/:organization/:project/schedule';
const LIST = 'GET /api/v2/project/:provider/:organization/:project/schedule';
const GET = 'GET /api/v2/schedule/:id';
const PATCH = 'PATCH /api/v2/schedule/:id';
const DEL = 'DELETE /api/v2/schedule/:id';

const MISSING = '00000000-0000-4000-8000-000000000000';
const suffix = () => crypto.randomBytes(4).toString('hex');

/**
 * Hours that are not due soon: the server's scheduler runs during these cases with the real
 * clock, and schedules made here must not trigger pipelines in the shared project.
 */
function quietHours(): number[] {
  const h = new Date().getUTCHours();
  return [(h + 6) % 24, (h + 12) % 24];
}

function body(overrides: Record<string, unknown> = {}) {
  return {
    name: `nightly-${suffix()}`,
    description: 'nightly build',
    'attribution-actor': 'current',
    parameters: { branch: 'main', deploy: true },
    timetable: { 'per-hour': 2, 'hours-of-day': quietHours(), 'days-of-week': ['MON', 'FRI'] },
    ...overrides,
  };
}

/** A new schedule of gh/acme/app made through the API; returns its id. */
async function fresh(ctx: CaseContext, overrides: Record<string, unknown> = {}, slug = ctx.projectSlug): Promise<string> {
  const res = await ctx.server.call('POST', `/api/v2/project/${slug}/schedule`, ctx.token, body(overrides));
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

const create = (ctx: CaseContext, b: unknown, token = ctx.token) => ({ method: 'POST', path: `/api/v2/project/${ctx.projectSlug}/schedule`, token, body: b });

let pagedSlug = '';
let pagedToken = '';
const state: Record<string, any> = {};

export const cases: ConformanceCase[] = [
  // createSchedule
  {
    route: CREATE,
    name: 'creates a schedule run as the current user',
    status: 201,
    call: (ctx) => {
      state.created = body();
      return create(ctx, state.created);
    },
    expect: (b) => {
      expect(Object.keys(b).sort()).toEqual(['actor', 'created-at', 'description', 'id', 'name', 'parameters', 'project-slug', 'timetable', 'updated-at']);
      expect(b.name).toBe(state.created.name);
      expect(b['project-slug']).toBe('gh/acme/app');
      expect(b.parameters).toEqual({ branch: 'main', deploy: true });
      expect(b.timetable).toEqual(state.created.timetable);
      expect(b.actor.login).toBe('alice');
    },
  },
  {
    route: CREATE,
    name: 'creates a days-of-month schedule run as the system, on a tag, with a %2F-escaped slug',
    status: 201,
    call: (ctx) => ({
      ...create(ctx, body({ 'attribution-actor': 'system', description: null, parameters: { tag: 'v1.0.0' }, timetable: { 'per-hour': 1, 'hours-of-day': quietHours(), 'days-of-month': [1, 15], months: ['JAN', 'JUL'] } })),
      path: '/api/v2/project/gh%2Facme%2Fapp/schedule',
    }),
    expect: (b) => {
      expect(b.actor).toEqual({ id: '00000000-0000-0000-0000-000000000000', login: 'system-actor', name: 'Scheduled', avatar_url: null });
      expect(b.description).toBeNull();
      expect(b.timetable['days-of-month']).toEqual([1, 15]);
    },
  },
  {
    route: CREATE,
    name: 'parameters without branch or tag are 400',
    status: 400,
    call: (ctx) => create(ctx, body({ parameters: { deploy: true } })),
    expect: (b) => expect(b.message).toMatch(/'parameters'.*'branch' or 'tag'/),
  },
  {
    route: CREATE,
    name: 'parameters with both branch and tag are 400',
    status: 400,
    call: (ctx) => create(ctx, body({ parameters: { branch: 'main', tag: 'v1' } })),
    expect: (b) => expect(b.message).toMatch(/not both/),
  },
  {
    route: CREATE,
    name: 'a per-hour outside 1..60 is 400 naming the field',
    status: 400,
    call: (ctx) => create(ctx, body({ timetable: { 'per-hour': 61, 'hours-of-day': [1], 'days-of-week': ['MON'] } })),
    expect: (b) => expect(b.message).toMatch(/'per-hour'/),
  },
  {
    route: CREATE,
    name: 'an hour of 24 is 400 naming the field',
    status: 400,
    call: (ctx) => create(ctx, body({ timetable: { 'per-hour': 1, 'hours-of-day': [24], 'days-of-week': ['MON'] } })),
    expect: (b) => expect(b.message).toMatch(/'hours-of-day'/),
  },
  {
    route: CREATE,
    name: 'an unknown day of the week is 400 naming the field',
    status: 400,
    call: (ctx) => create(ctx, body({ timetable: { 'per-hour': 1, 'hours-of-day': [1], 'days-of-week': ['FUNDAY'] } })),
    expect: (b) => expect(b.message).toMatch(/'days-of-week'/),
  },
  {
    route: CREATE,
    name: 'days-of-week and days-of-month together are 400',
    status: 400,
    call: (ctx) => create(ctx, body({ timetable: { 'per-hour': 1, 'hours-of-day': [1], 'days-of-week': ['MON'], 'days-of-month': [1] } })),
    expect: (b) => expect(b.message).toMatch(/mutually exclusive/),
  },
  {
    route: CREATE,
    name: 'a missing attribution-actor is 400 naming the field',
    status: 400,
    call: (ctx) => {
      const { 'attribution-actor': _omitted, ...rest } = body();
      return create(ctx, rest);
    },
    expect: (b) => expect(b.message).toMatch(/'attribution-actor'/),
  },
  {
    route: CREATE,
    name: 'an unknown attribution-actor is 400',
    status: 400,
    call: (ctx) => create(ctx, body({ 'attribution-actor': 'someone' })),
    expect: (b) => expect(b.message).toMatch(/'attribution-actor'.*current, system/),
  },
  {
    route: CREATE,
    name: 'a project of another organization is 404',
    status: 404,
    call: (ctx) => ({ method: 'POST', path: '/api/v2/project/gh/other/secret/schedule', token: ctx.token, body: body() }),
  },
  {
    route: CREATE,
    name: 'without a token is 401',
    status: 401,
    call: (ctx) => create(ctx, body(), ''),
  },

  // listSchedulesForProject
  {
    route: LIST,
    name: 'lists a project schedules newest first, 20 a page',
    status: 200,
    call: async (ctx) => {
      pagedSlug = `gh/acme/sched-${suffix()}`;
      await ctx.server.project(pagedSlug, ctx.repo);
      for (let i = 0; i < 21; i++) await fresh(ctx, { name: `s-${String(i).padStart(2, '0')}` }, pagedSlug);
      return { method: 'GET', path: `/api/v2/project/${pagedSlug}/schedule`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.items).toHaveLength(20);
      expect(b.items[0].name).toBe('s-20');
      expect(typeof b.next_page_token).toBe('string');
      pagedToken = b.next_page_token;
    },
  },
  {
    route: LIST,
    name: 'the next page holds the rest',
    status: 200,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/project/${pagedSlug}/schedule?page-token=${pagedToken}`, token: ctx.token }),
    expect: (b) => {
      expect(b.items.map((s: { name: string }) => s.name)).toEqual(['s-00']);
      expect(b.next_page_token).toBeNull();
    },
  },
  {
    route: LIST,
    name: 'a malformed page-token is 400',
    status: 400,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/project/${ctx.projectSlug}/schedule?page-token=nope`, token: ctx.token }),
  },
  {
    route: LIST,
    name: 'a project the caller cannot see is 404',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/project/${ctx.projectSlug}/schedule`, token: ctx.otherToken }),
  },

  // getScheduleById
  {
    route: GET,
    name: 'reads a schedule',
    status: 200,
    call: async (ctx) => {
      state.getId = await fresh(ctx, { name: 'readable' });
      return { method: 'GET', path: `/api/v2/schedule/${state.getId}`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.id).toBe(state.getId);
      expect(b.name).toBe('readable');
      expect(b.actor.login).toBe('alice');
    },
  },
  {
    route: GET,
    name: 'a missing schedule is 404',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: `/api/v2/schedule/${MISSING}`, token: ctx.token }),
    expect: (b) => expect(b.message).toBe('Schedule not found.'),
  },
  {
    route: GET,
    name: 'a malformed id is 404',
    status: 404,
    call: (ctx) => ({ method: 'GET', path: '/api/v2/schedule/not-a-uuid', token: ctx.token }),
  },
  {
    route: GET,
    name: 'a schedule of another organization is 404',
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/schedule/${await fresh(ctx)}`, token: ctx.otherToken }),
  },

  // updateSchedule
  {
    route: PATCH,
    name: 'updates the name and part of the timetable',
    status: 200,
    call: async (ctx) => {
      state.patchId = await fresh(ctx);
      return { method: 'PATCH', path: `/api/v2/schedule/${state.patchId}`, token: ctx.token, body: { name: 'renamed', timetable: { 'per-hour': 6, 'days-of-month': [2] } } };
    },
    expect: (b) => {
      expect(b.name).toBe('renamed');
      expect(b.timetable).toEqual({ 'per-hour': 6, 'hours-of-day': quietHours(), 'days-of-month': [2] });
      expect(b.parameters).toEqual({ branch: 'main', deploy: true });
    },
  },
  {
    route: PATCH,
    name: 'switches to the system actor and new parameters',
    status: 200,
    call: async (ctx) => ({
      method: 'PATCH',
      path: `/api/v2/schedule/${await fresh(ctx)}`,
      token: ctx.token,
      body: { 'attribution-actor': 'system', parameters: { tag: 'v2' }, description: null },
    }),
    expect: (b) => {
      expect(b.actor.login).toBe('system-actor');
      expect(b.parameters).toEqual({ tag: 'v2' });
      expect(b.description).toBeNull();
    },
  },
  {
    route: PATCH,
    name: 'an invalid timetable is 400 naming the field',
    status: 400,
    call: async (ctx) => ({ method: 'PATCH', path: `/api/v2/schedule/${await fresh(ctx)}`, token: ctx.token, body: { timetable: { months: ['SMARCH'] } } }),
    expect: (b) => expect(b.message).toMatch(/'months'/),
  },
  {
    route: PATCH,
    name: 'parameters without branch or tag are 400',
    status: 400,
    call: async (ctx) => ({ method: 'PATCH', path: `/api/v2/schedule/${await fresh(ctx)}`, token: ctx.token, body: { parameters: { deploy: false } } }),
    expect: (b) => expect(b.message).toMatch(/'branch' or 'tag'/),
  },
  {
    route: PATCH,
    name: 'an unknown field is 400',
    status: 400,
    call: async (ctx) => ({ method: 'PATCH', path: `/api/v2/schedule/${await fresh(ctx)}`, token: ctx.token, body: { enabled: false } }),
    expect: (b) => expect(b.message).toMatch(/'enabled'/),
  },
  {
    route: PATCH,
    name: 'a missing schedule is 404',
    status: 404,
    call: (ctx) => ({ method: 'PATCH', path: `/api/v2/schedule/${MISSING}`, token: ctx.token, body: { name: 'x' } }),
  },

  // deleteScheduleById
  {
    route: DEL,
    name: 'deletes a schedule',
    status: 200,
    call: async (ctx) => {
      state.deleted = await fresh(ctx);
      return { method: 'DELETE', path: `/api/v2/schedule/${state.deleted}`, token: ctx.token };
    },
    expect: async (b, ctx) => {
      expect(b.message).toBe('Schedule deleted.');
      expect((await ctx.server.call('GET', `/api/v2/schedule/${state.deleted}`, ctx.token)).status).toBe(404);
    },
  },
  {
    route: DEL,
    name: 'a missing schedule is 404',
    status: 404,
    call: (ctx) => ({ method: 'DELETE', path: `/api/v2/schedule/${MISSING}`, token: ctx.token }),
  },
  {
    route: DEL,
    name: 'a schedule of another organization is 404 and stays',
    status: 404,
    call: async (ctx) => {
      state.kept = await fresh(ctx);
      return { method: 'DELETE', path: `/api/v2/schedule/${state.kept}`, token: ctx.otherToken };
    },
    expect: async (_b, ctx) => expect((await ctx.server.call('GET', `/api/v2/schedule/${state.kept}`, ctx.token)).status).toBe(200),
  },
];
