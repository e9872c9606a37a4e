import { expect } from 'vitest';
import type { ConformanceCase } from '../harness.ts';

// Not part of CircleCI's published spec (the CLI calls it): `spec: 'none'`, shapes checked here.
const route = 'POST /api/v2/compile-config-with-defaults';

export const cases: ConformanceCase[] = [
  {
    route,
    name: 'a valid config compiles with pipeline values',
    spec: 'none',
    status: 200,
    call: ({ token }) => ({
      method: 'POST',
      path: '/api/v2/compile-config-with-defaults',
      token,
      body: {
        config_yaml: 'version: 2.1\njobs:\n  build:\n    docker: [{image: cimg/base:stable}]\n    steps: [{run: echo << pipeline.git.branch >>}]\nworkflows:\n  w:\n    jobs: [build]\n',
        options: { pipeline_values: { 'pipeline.git.branch': 'feature-x' } },
      },
    }),
    expect: (b) => {
      expect(b.valid).toBe(true);
      expect(b.errors).toBe(null);
      expect(b['source-yaml']).toContain('version: 2.1');
      expect(b['output-yaml']).toContain('echo feature-x');
      expect(b['output-yaml']).toMatch(/version: 2\b/);
    },
  },
  {
    route,
    name: 'an invalid config is valid: false with errors naming the problem',
    spec: 'none',
    status: 200,
    call: ({ token }) => ({
      method: 'POST',
      path: '/api/v2/compile-config-with-defaults',
      token,
      body: { config_yaml: 'version: 2.1\nworkflows:\n  w:\n    jobs: [missing-job]\n' },
    }),
    expect: (b) => {
      expect(b.valid).toBe(false);
      expect(b.errors.length).toBeGreaterThan(0);
      expect(b.errors.map((e: any) => e.message).join('\n')).toMatch(/missing-job/);
      expect(b['output-yaml']).toBe('');
    },
  },
  {
    route,
    name: 'missing config_yaml is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/compile-config-with-defaults', token, body: {} }),
    expect: (b) => expect(b.message).toMatch(/config_yaml/),
  },
  {
    route,
    name: 'no token is 401',
    spec: 'none',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v2/compile-config-with-defaults', body: { config_yaml: 'version: 2.1' } }),
  },
];
