// API v1.1 (CircleCI's legacy API) under /api/v1.1: builds, project triggers and caches,
// build outputs; and CircleCI's private plain-text output under /api/private.
import type { FastifyInstance } from 'fastify';
import { requireTokens } from '../auth.ts';
import type { HttpDeps } from '../deps.ts';
import type { RouteModule } from '../routes.ts';
import { v1BuildRoutes } from './builds.ts';
import { followedProjectRoutes } from './followed-projects.ts';
import { v1OutputRoutes } from './outputs.ts';
import { privateOutputRoutes } from './private-output.ts';
import { v1ProjectRoutes } from './project.ts';
import { v1SettingsRoutes } from './settings.ts';
import { v1TokenRoutes } from './tokens.ts';
import { v1UserRoutes } from './user.ts';

function withTokens(routes: RouteModule[]) {
  return async (app: FastifyInstance, deps: HttpDeps): Promise<void> => {
    requireTokens(app, deps);
    for (const r of routes) await app.register(async (scope) => r(scope, deps));
  };
}

/** Every route needs a user's token unless it is marked public (presigned step output). */
export const v1Api = withTokens([v1BuildRoutes, v1ProjectRoutes, v1OutputRoutes, v1SettingsRoutes, v1UserRoutes, v1TokenRoutes]);
export const privateApi = withTokens([privateOutputRoutes, followedProjectRoutes]);
