// The APIs the app serves: each a Fastify plugin registered with its prefix, adding its own
// authentication hook for its own routes. Each is loaded when the app serves it, so an app
// serving only some (a local run's: the runner protocol and git) never loads the others.
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from './deps.ts';

export type RouteModule = (app: FastifyInstance, deps: HttpDeps) => void | Promise<void>;

export type ApiPlugin = (app: FastifyInstance, deps: HttpDeps) => Promise<void>;

export const apis: { prefix: string; load: () => Promise<ApiPlugin> }[] = [
  { prefix: '/api/v2', load: async () => (await import('./v2/index.ts')).v2Api },
  { prefix: '/api/v1.1', load: async () => (await import('./v1/index.ts')).v1Api },
  { prefix: '/api/private', load: async () => (await import('./v1/index.ts')).privateApi },
  { prefix: '/api/runner/v1', load: async () => (await import('./runner/index.ts')).runnerApi },
  // The in-job helper's calls: its own plugin, authenticated by the task credential alone.
  { prefix: '/api/runner/v1/job', load: async () => (await import('./runner/index.ts')).jobApi },
  { prefix: '/org', load: async () => (await import('./oidc/index.ts')).oidcDiscoveryApi },
  { prefix: '/git', load: async () => (await import('./runner/index.ts')).gitApi },
  { prefix: '/api/v3/runner', load: async () => (await import('./runner-admin/index.ts')).runnerAdminApi },
  { prefix: '/hooks', load: async () => (await import('./hooks/index.ts')).hooksApi },
];
