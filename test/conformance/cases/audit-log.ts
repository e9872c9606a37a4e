// The audit log of an organization (circlet's own route; CircleCI has no public one): its
// admins read it, newest first and paged; others are refused.
import { expect } from 'vitest';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const BY_ID = 'GET /api/v2/organization/:id/audit-log';
const BY_SLUG = 'GET /api/v2/organization/:vcs/:org/audit-log';

async function acmeId(ctx: CaseContext): Promise<string> {
  const r = await ctx.server.call('GET', '/api/v2/me/collaborations', ctx.token);
  return (r.body as { id: string; name: string }[]).find((o) => o.name === 'acme')!.id;
}

export const cases: ConformanceCase[] = [
  {
    route: BY_ID,
    name: "an admin reads the organization's events, newest first, paged",
    spec: 'none',
    status: 200,
    call: async (ctx) => {
      // Something to record: an env var made (its name, never its value).
      await ctx.server.call('POST', `/api/v2/project/${ctx.projectSlug}/envvar`, ctx.token, { name: 'AUDITED_VAR', value: 'audit-secret-value' });
      return { method: 'GET', path: `/api/v2/organization/${await acmeId(ctx)}/audit-log`, token: ctx.token };
    },
    expect: (b) => {
      expect(Array.isArray(b.items)).toBe(true);
      expect(b).toHaveProperty('next_page_token');
      expect(JSON.stringify(b)).toContain('AUDITED_VAR');
      expect(JSON.stringify(b)).not.toContain('audit-secret-value');
      const times = b.items.map((e: { occurred_at?: string; time?: string }) => e.occurred_at ?? e.time);
      expect([...times].sort().reverse()).toEqual(times);
    },
  },
  {
    route: BY_ID,
    name: 'a bad page-token is 400',
    spec: 'none',
    status: 400,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/organization/${await acmeId(ctx)}/audit-log?page-token=not-a-token`, token: ctx.token }),
  },
  {
    route: BY_ID,
    name: "another organization's log is 404",
    spec: 'none',
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/organization/${await acmeId(ctx)}/audit-log`, token: ctx.otherToken }),
  },
  {
    route: BY_ID,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/organization/${await acmeId(ctx)}/audit-log` }),
  },
  {
    route: BY_SLUG,
    name: 'by organization slug',
    spec: 'none',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/organization/gh/acme/audit-log', token }),
    expect: (b) => expect(b.items.length).toBeGreaterThan(0),
  },
  {
    route: BY_SLUG,
    name: 'an unknown organization is 404',
    spec: 'none',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/organization/gh/no-such-org/audit-log', token }),
  },
];
