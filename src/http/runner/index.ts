// The runner protocol (docs/runner-protocol.md) under /api/runner/v1, authenticated by runner
// tokens, and every route of a claimed task also by its task credential; and checkouts of
// project mirrors over git smart HTTP under /git, authenticated by the task id and credential.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RunnerToken } from '../../storage/runner-tokens.ts';
import type { HttpDeps } from '../deps.ts';
import { gitRoutes } from './git.ts';
export { jobApi } from './job.ts';
import { runnerOutputRoutes } from './outputs.ts';
import { runnerRoutes } from './protocol.ts';
import { runnerAuth } from './services/auth.ts';
import { taskAuth } from './services/task-auth.ts';

export async function runnerApi(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.addHook('preHandler', async (req) => {
    const runner = await runnerAuth(deps.database, req);
    (req as FastifyRequest & { runner: RunnerToken }).runner = runner;
    const taskId = (req.params as { id?: unknown } | undefined)?.id;
    if (typeof taskId === 'string') await taskAuth(deps.engine, runner, req, taskId);
  });
  await app.register(async (scope) => runnerRoutes(scope, deps));
  await app.register(async (scope) => runnerOutputRoutes(scope, deps));
}

/** Each request checks the task id and task credential it presents (git.ts). */
export async function gitApi(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await gitRoutes(app, deps);
}
