import { expect } from 'vitest';
import type { ConformanceCase } from '../harness.ts';

// Policy Management: every route answers 501 naming the feature (docs/compatibility.md).
const ROUTES: { method: string; route: string; path: string; body?: unknown }[] = [
  { method: 'GET', route: '/decision', path: '/decision' },
  { method: 'POST', route: '/decision', path: '/decision', body: { input: 'version: 2.1' } },
  { method: 'GET', route: '/decision/settings', path: '/decision/settings' },
  { method: 'PATCH', route: '/decision/settings', path: '/decision/settings', body: { enabled: true } },
  { method: 'GET', route: '/decision/:decisionID', path: '/decision/8b3a1b2c-0000-4000-8000-000000000001' },
  { method: 'GET', route: '/decision/:decisionID/policy-bundle', path: '/decision/8b3a1b2c-0000-4000-8000-000000000001/policy-bundle' },
  { method: 'GET', route: '/policy-bundle', path: '/policy-bundle' },
  { method: 'POST', route: '/policy-bundle', path: '/policy-bundle', body: { policies: { a: 'package org' } } },
  { method: 'GET', route: '/policy-bundle/:policyName', path: '/policy-bundle/a' },
];

const OWNER = '0f9d8e5a-0000-4000-8000-000000000000';

export const cases: ConformanceCase[] = ROUTES.flatMap(({ method, route, path, body }) => {
  const full = `${method} /api/v2/owner/:ownerID/context/:context${route}`;
  const url = `/api/v2/owner/${OWNER}/context/config${path}`;
  return [
    {
      route: full,
      name: 'answers 501 naming the feature and the compatibility page',
      spec: 'none',
      status: 501,
      call: ({ token }) => ({ method, path: url, token, body }),
      expect: (b) => {
        expect(b.message).toMatch(/Policy Management/);
        expect(b.message).toMatch(/OPA/);
        expect(b.message).toMatch(/docs\/compatibility\.md/);
      },
    },
    {
      route: full,
      name: 'no token is 401',
      // MakeDecision's spec gives its 401 an `error` body; circlet's errors are all `{message}`.
      spec: method === 'POST' && route === '/decision' ? 'none' : 'v2',
      status: 401,
      call: () => ({ method, path: url, body }),
    },
  ] satisfies ConformanceCase[];
});
