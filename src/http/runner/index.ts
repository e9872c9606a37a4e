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
import { cachedRunnerAuth, runnerAuth } from './services/auth.ts';
import { taskAuth } from './services/task-auth.ts';

export async function runnerApi(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const authenticate = async (req: FastifyRequest, taskId: string | undefined) => {
    const runner = await runnerAuth(deps.database, req);
    (req as FastifyRequest & { runner: RunnerToken }).runner = runner;
    if (taskId !== undefined) await taskAuth(deps.engine, runner, req, taskId);
  };
  // A callback hook: a claim (no task) whose token was seen a moment ago needs neither a
  // query nor a promise.
  app.addHook('preHandler', (req, _reply, done) => {
    const id = (req.params as { id?: unknown } | undefined)?.id;
    const taskId = typeof id === 'string' ? id : undefined;
    try {
      const cached = taskId === undefined ? cachedRunnerAuth(deps.database, req) : undefined;
      if (cached) {
        (req as FastifyRequest & { runner: RunnerToken }).runner = cached;
        return done();
      }
    } catch (err) {
      return done(err as Error);
    }
    authenticate(req, taskId).then(() => done(), done);
  });
  await app.register(async (scope) => runnerRoutes(scope, deps));
  await app.register(async (scope) => runnerOutputRoutes(scope, deps));
}

/** Each request checks the task id and task credential it presents (git.ts). */
export async function gitApi(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await gitRoutes(app, deps);
}
