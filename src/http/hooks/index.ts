// Incoming git-forge webhooks under /hooks (GitHub, Gitea/Forgejo, GitLab, plain git): each
// request is authenticated by its own signature or secret (forge.ts), not by a user token.
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { forgeHookRoutes } from './forge.ts';

export async function hooksApi(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await app.register(async (scope) => forgeHookRoutes(scope, deps));
}
