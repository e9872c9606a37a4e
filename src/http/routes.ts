// The APIs the app serves, each a folder of route modules registered as its own plugin.
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from './deps.ts';
import { hookRoutes } from './hooks/index.ts';
import { runnerApiRoutes } from './runner/index.ts';
import { v1Routes } from './v1/index.ts';
import { v2Routes } from './v2/index.ts';

export type RouteModule = (app: FastifyInstance, deps: HttpDeps) => void | Promise<void>;

export const apis: { name: string; routes: RouteModule[] }[] = [
  { name: 'v2', routes: v2Routes },
  { name: 'v1', routes: v1Routes },
  { name: 'runner', routes: runnerApiRoutes },
  { name: 'hooks', routes: hookRoutes },
];
