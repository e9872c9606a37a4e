// Calls a running job makes itself, through the in-job `circleci` helper (docs/oidc.md,
// docs/deploys.md): `circleci run oidc get` and `circleci run release …`. Authenticated by
// HTTP Basic with the task id as the user name and the task credential as the password (the
// agent leaves both, with the server URL, in the task's internal data directory); the
// credential works only while the task runs. Served under /api/runner/v1/job.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import { ClaimsRefused } from '../../engine/oidc/issuer.ts';
import { ReleaseRefused, type ReleaseCall } from '../../engine/runner/releases.ts';
import type { Task } from '../../storage/jobs.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';

const REALM = 'Basic realm="circlet job"';

/** The running task the caller's HTTP Basic credentials name; a 401 otherwise. */
export async function callingTask(deps: HttpDeps, req: FastifyRequest): Promise<Task> {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const taskId = decoded.slice(0, Math.max(colon, 0));
    const credential = decoded.slice(colon + 1);
    if (colon > 0 && UUID_RE.test(taskId) && credential !== '') {
      const task = await deps.engine.runner.jobTask(taskId, credential);
      if (task) return task;
    }
  }
  throw new CircletError('JOB_TASK_CREDENTIAL_REQUIRED');
}

export async function jobApi(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode === 401) reply.header('www-authenticate', REALM);
    return payload;
  });

  app.post<{ Body: { claims?: Record<string, unknown> } | undefined }>(
    '/oidc-token',
    { schema: { hide: true, body: { type: 'object', properties: { claims: { type: 'object' } } } } },
    async (req) => {
      const task = await callingTask(deps, req);
      try {
        return { token: await deps.engine.oidc.tokenWithClaims(task.id, req.body?.claims ?? {}) };
      } catch (err) {
        if (err instanceof ClaimsRefused) throw new CircletError('OIDC_CLAIMS_REFUSED', { reason: err.message });
        throw err;
      }
    },
  );

  const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
  app.post<{ Body: ReleaseCall }>(
    '/releases',
    {
      schema: {
        hide: true,
        body: {
          type: 'object',
          properties: { action: { type: 'string', enum: ['plan', 'update', 'log'] }, environment_name: name, component_name: name, target_version: name, namespace: name, status: { type: 'string', maxLength: 20 }, failure_reason: { type: 'string', maxLength: 2000 } },
          required: ['action', 'environment_name', 'component_name'],
        },
      },
    },
    async (req) => {
      const task = await callingTask(deps, req);
      try {
        return { message: await deps.engine.runner.recordRelease(task, req.body) };
      } catch (err) {
        if (err instanceof ReleaseRefused) throw new CircletError('RELEASE_REFUSED', { reason: err.message });
        throw err;
      }
    },
  );
}
