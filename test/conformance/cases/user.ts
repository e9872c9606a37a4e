import { expect } from 'vitest';
import type { ConformanceCase } from '../harness.ts';

export const cases: ConformanceCase[] = [
  {
    route: 'GET /api/v2/me',
    name: 'current user by Circle-Token header',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/me', token }),
    expect: (b) => expect(b.login).toBe('alice'),
  },
  {
    route: 'GET /api/v2/me',
    name: 'current user by HTTP Basic',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/me', headers: { authorization: 'Basic ' + Buffer.from(token + ':').toString('base64') } }),
    expect: (b) => expect(b.login).toBe('alice'),
  },
  {
    route: 'GET /api/v2/me',
    name: 'current user by circle-token query',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/me?circle-token=${token}` }),
  },
  {
    route: 'GET /api/v2/me',
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v2/me' }),
    expect: (b) => expect(b.message).toMatch(/log in/),
  },
  {
    route: 'GET /api/v2/me',
    name: 'invalid token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v2/me', token: 'nope' }),
  },
  {
    route: 'GET /api/v2/me/collaborations',
    name: 'organizations of the user',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/me/collaborations', token }),
    expect: (b) => expect(b.map((o: any) => o.slug)).toEqual(['gh/acme']),
  },
  {
    route: 'GET /api/v2/user/:id',
    name: 'a user by id',
    status: 200,
    call: async ({ server, token }) => {
      const me = await server.call('GET', '/api/v2/me', token);
      return { method: 'GET', path: `/api/v2/user/${me.body.id}`, token };
    },
    expect: (b) => expect(b.login).toBe('alice'),
  },
  {
    route: 'GET /api/v2/user/:id',
    name: 'unknown user is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/user/00000000-0000-0000-0000-000000000000', token }),
    expect: (b) => expect(b.message).toBe('User not found'),
  },
];
