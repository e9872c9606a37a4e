// The APIs the app serves: each a Fastify plugin registered with its prefix, adding its own
// authentication hook for its own routes.
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from './deps.ts';
import { hooksApi } from './hooks/index.ts';
import { gitApi, runnerApi } from './runner/index.ts';
import { privateApi, v1Api } from './v1/index.ts';
import { v2Api } from './v2/index.ts';

export type RouteModule = (app: FastifyInstance, deps: HttpDeps) => void | Promise<void>;

export type ApiPlugin = (app: FastifyInstance, deps: HttpDeps) => Promise<void>;

export const apis: { prefix: string; plugin: ApiPlugin }[] = [
  { prefix: '/api/v2', plugin: v2Api },
  { prefix: '/api/v1.1', plugin: v1Api },
  { prefix: '/api/private', plugin: privateApi },
  { prefix: '/api/runner/v1', plugin: runnerApi },
  { prefix: '/git', plugin: gitApi },
  { prefix: '/hooks', plugin: hooksApi },
];
