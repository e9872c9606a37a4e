// Checkouts from the server: each project's mirror over git's smart HTTP protocol, read-only,
// at /git/<project-id>.git. A job authenticates with HTTP Basic, its task's checkout
// credential as the password (docs/agent.md); the credential works only while that task runs
// and only for its own project. An agent therefore needs no access to the project's git host.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import { CircletError } from '../../domain/errors.ts';
import { gitHttpBackend } from '../../engine/services/git-http-backend.ts';
import type { HttpDeps } from '../deps.ts';

/** HTTP Basic: the task id as the user name, the task credential as the password. */
function basicCredentials(req: FastifyRequest): { taskId: string; credential: string } | undefined {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string' || !/^basic /i.test(auth)) return undefined;
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) return undefined;
  return { taskId: decoded.slice(0, colon), credential: decoded.slice(colon + 1) };
}

export async function gitRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await app.register(async (git) => {
    // The pack negotiation is git's own binary format: handed to git as a stream, unparsed.
    git.addContentTypeParser('application/x-git-upload-pack-request', (_req, payload, done) => done(null, payload));

    async function serve(req: FastifyRequest<{ Params: { repo: string } }>, reply: FastifyReply, pathTail: string) {
      const match = /^(.+)\.git$/.exec(req.params.repo);
      const projectId = match?.[1];
      const basic = basicCredentials(req);
      // One answer for every refusal: a wrong credential tells nothing about which projects exist.
      if (!projectId || !UUID_RE.test(projectId) || !basic || !UUID_RE.test(basic.taskId) || !(await deps.engine.runner.checkoutAllowed(basic.taskId, basic.credential, projectId))) {
        throw new CircletError('GIT_CREDENTIAL_REQUIRED');
      }
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
      if (pathTail === 'info/refs' && !/(^|&)service=git-upload-pack(&|$)/.test(query)) {
        throw new CircletError('GIT_FETCH_ONLY');
      }
      const res = await gitHttpBackend({
        root: deps.engine.mirrorRoot,
        pathInfo: `/${projectId}.git/${pathTail}`,
        method: req.method === 'POST' ? 'POST' : 'GET',
        query,
        contentType: req.headers['content-type'],
        contentEncoding: typeof req.headers['content-encoding'] === 'string' ? req.headers['content-encoding'] : undefined,
        gitProtocol: typeof req.headers['git-protocol'] === 'string' ? req.headers['git-protocol'] : undefined,
        remoteUser: 'job',
        body: req.method === 'POST' ? (req.body as NodeJS.ReadableStream as never) : undefined,
      });
      reply.status(res.status);
      for (const [name, value] of Object.entries(res.headers)) reply.header(name, value);
      return reply.send(res.body);
    }

    const opts = { schema: { hide: true }, logLevel: 'warn' as const, bodyLimit: 64 * 1024 * 1024 };
    git.get<{ Params: { repo: string } }>('/:repo/info/refs', opts, (req, reply) => serve(req, reply, 'info/refs'));
    git.post<{ Params: { repo: string } }>('/:repo/git-upload-pack', opts, (req, reply) => serve(req, reply, 'git-upload-pack'));
  });
}
