// Personal API tokens (CircleCI's web-app routes, under v1.1): list, create (the token is
// answered once and works at once), revoke (it stops working at once).
import { expect } from 'vitest';
import type { ConformanceCase } from '../harness.ts';

const LIST = 'GET /api/v1.1/user/token';
const CREATE = 'POST /api/v1.1/user/token';
const DELETE = 'DELETE /api/v1.1/user/token/:id';

/** The token the revoke case made, to show it no longer works. */
let revoked = '';

export const cases: ConformanceCase[] = [
  {
    route: CREATE,
    name: 'creates a token: 201 with the token, once; it works at once',
    spec: 'none',
    status: 201,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/user/token', token, body: { label: 'ci bot' } }),
    expect: async (b, ctx) => {
      expect(Object.keys(b).sort()).toEqual(['id', 'label', 'time', 'token']);
      expect(b).toMatchObject({ label: 'ci bot', token: expect.stringMatching(/^\S{20,}$/) });
      const me = await ctx.server.call('GET', '/api/v2/me', b.token);
      expect(me.body.login).toBe('alice');
    },
  },
  {
    route: CREATE,
    name: 'a blank label is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v1.1/user/token', token, body: { label: '  ' } }),
  },
  {
    route: CREATE,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v1.1/user/token', body: { label: 'x' } }),
  },
  {
    route: LIST,
    name: "lists the user's tokens by label and time, never the tokens",
    spec: 'none',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v1.1/user/token', token }),
    expect: (b) => {
      expect(b.length).toBeGreaterThan(0);
      for (const t of b) expect(Object.keys(t).sort()).toEqual(['id', 'label', 'time']);
    },
  },
  {
    route: LIST,
    name: "another user's tokens are not listed",
    spec: 'none',
    status: 200,
    call: ({ otherToken }) => ({ method: 'GET', path: '/api/v1.1/user/token', token: otherToken }),
    expect: (b) => expect(b.map((t: { label: string }) => t.label)).not.toContain('ci bot'),
  },
  {
    route: DELETE,
    name: 'revokes a token: it stops working at once',
    spec: 'none',
    status: 200,
    call: async ({ server, token }) => {
      const made = (await server.call('POST', '/api/v1.1/user/token', token, { label: 'short-lived' })).body;
      expect((await server.call('GET', '/api/v2/me', made.token)).status).toBe(200);
      revoked = made.token;
      return { method: 'DELETE', path: `/api/v1.1/user/token/${made.id}`, token };
    },
    expect: async (b, ctx) => {
      expect(b).toEqual({ message: 'OK' });
      expect((await ctx.server.call('GET', '/api/v2/me', revoked)).status).toBe(401);
    },
  },
  {
    route: DELETE,
    name: "another user's token is 404 and stays",
    spec: 'none',
    status: 404,
    call: async ({ server, otherToken, token }) => {
      const made = (await server.call('POST', '/api/v1.1/user/token', otherToken, { label: 'theirs' })).body;
      return { method: 'DELETE', path: `/api/v1.1/user/token/${made.id}`, token };
    },
  },
];
