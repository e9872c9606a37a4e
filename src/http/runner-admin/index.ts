// CircleCI's self-hosted runner API v3 under /api/v3/runner (docs/operations.md): the
// runner instances, the task counts autoscalers poll, and resource-class and token
// management. User tokens (Circle-Token, Basic) or the dashboard session; the task counts
// also take the class's runner token.
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { resourceRoutes } from './resources.ts';
import { runnerRoutes } from './runners.ts';
import { adminAuth } from './services/access.ts';

export async function runnerAdminApi(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.addHook('onRequest', adminAuth(deps));
  await app.register(async (scope) => runnerRoutes(scope, deps));
  await app.register(async (scope) => resourceRoutes(scope, deps));
}
