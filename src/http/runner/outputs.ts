// Runner protocol (v1), part two: artifacts, test results, caches, workspaces and test
// timings of a running task. Uploads are raw `application/octet-stream` bodies.
import { Stream, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { cleanArtifactPath, type TestCase } from '../../engine/runner/outputs.ts';
import type { Task } from '../../storage/jobs.ts';
import type { HttpDeps } from '../deps.ts';

const PREFIX = '/tasks/:id';
const UPLOAD_LIMIT = 10 * 1024 * 1024 * 1024;

/** An upload's raw body; anything but `application/octet-stream` is refused with a 415. */
function uploadBody(body: unknown): Readable {
  if (body instanceof Stream && typeof (body as Readable).pipe === 'function') return body as Readable;
  throw new CircletError('UPLOAD_NOT_OCTET_STREAM');
}

export function runnerOutputRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const runner = deps.engine.runner;
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  /** The running task named in the URL, when the caller's runner token and agent id own it. */
  async function ownedTask(req: FastifyRequest<{ Params: { id: string } }>): Promise<Task> {
    const agentId = req.headers['x-circlet-agent'];
    return runner.ownTask(req.params.id, typeof agentId === 'string' ? agentId : undefined);
  }

  const sendBlob = async (reply: FastifyReply, blobKey: string) => {
    const blob = await deps.engine.blobs.get(blobKey);
    if (!blob) throw new CircletError('BLOB_MISSING');
    return reply.header('content-type', 'application/octet-stream').header('content-length', String(blob.size)).send(blob.body);
  };

  app.put<{ Params: { id: string }; Querystring: { path: string } }>(
    `${PREFIX}/artifacts`,
    { bodyLimit: UPLOAD_LIMIT, schema: { hide: true, querystring: { type: 'object', properties: { path: { type: 'string', minLength: 1 } }, required: ['path'] } } },
    async (req) => {
      const task = await ownedTask(req);
      if (!cleanArtifactPath(req.query.path)) throw new CircletError('ARTIFACT_PATH_INVALID', { path: req.query.path });
      return runner.saveArtifact(task, req.query.path, uploadBody(req.body));
    },
  );

  app.post<{ Params: { id: string }; Body: { tests: TestCase[] } }>(
    `${PREFIX}/test-results`,
    {
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        hide: true,
        body: {
          type: 'object',
          properties: {
            tests: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  classname: { type: 'string' },
                  file: { type: 'string' },
                  result: { type: 'string' },
                  message: { type: 'string' },
                  run_time: { type: 'number' },
                  source: { type: 'string' },
                },
                required: ['name', 'result'],
              },
            },
          },
          required: ['tests'],
        },
      },
    },
    async (req) => ({ stored: await runner.saveTestResults(await ownedTask(req), req.body.tests) }),
  );

  app.post<{ Params: { id: string }; Body: { keys: string[] } }>(
    `${PREFIX}/caches/lookup`,
    { schema: { hide: true, body: { type: 'object', properties: { keys: { type: 'array', items: { type: 'string' }, maxItems: 100 } }, required: ['keys'] } } },
    async (req) => {
      const found = await runner.findCache(await ownedTask(req), req.body.keys);
      return found ? { key: found.key, size: found.size } : { key: null };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { key: string } }>(
    `${PREFIX}/caches/blob`,
    { schema: { hide: true, querystring: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] } } },
    async (req, reply) => {
      const found = await runner.findCache(await ownedTask(req), [req.query.key]);
      if (!found || found.key !== req.query.key) throw new CircletError('CACHE_NOT_FOUND', { key: req.query.key });
      return sendBlob(reply, found.blob_key);
    },
  );

  app.put<{ Params: { id: string }; Querystring: { key: string } }>(
    `${PREFIX}/caches/blob`,
    { bodyLimit: UPLOAD_LIMIT, schema: { hide: true, querystring: { type: 'object', properties: { key: { type: 'string', minLength: 1, maxLength: 900 } }, required: ['key'] } } },
    async (req) => ({ result: await runner.saveCache(await ownedTask(req), req.query.key, uploadBody(req.body)) }),
  );

  app.put<{ Params: { id: string } }>(`${PREFIX}/workspace`, { bodyLimit: UPLOAD_LIMIT, schema: { hide: true } }, async (req) => ({
    size: await runner.saveWorkspaceLayer(await ownedTask(req), uploadBody(req.body)),
  }));

  app.get<{ Params: { id: string } }>(`${PREFIX}/workspace`, { schema: { hide: true } }, async (req) => {
    const layers = await runner.workspaceLayers(await ownedTask(req));
    return { layers: layers.map((l) => ({ id: l.id, job_name: l.job_name, size: l.size })) };
  });

  app.get<{ Params: { id: string; layer: string } }>(`${PREFIX}/workspace/:layer`, { schema: { hide: true } }, async (req, reply) => {
    const layers = await runner.workspaceLayers(await ownedTask(req));
    const layer = layers.find((l) => l.id === req.params.layer);
    if (!layer) throw new CircletError('WORKSPACE_LAYER_NOT_FOUND');
    return sendBlob(reply, layer.blob_key);
  });

  app.get<{ Params: { id: string } }>(`${PREFIX}/timings`, { schema: { hide: true } }, async (req) => ({ tests: await runner.timings(await ownedTask(req)) }));
}
