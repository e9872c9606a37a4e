// What a job produced, through API v2: artifacts (listed and downloaded), test results,
// and a live stream of its step output (server-sent events, for the dashboard).
import type { FastifyInstance } from 'fastify';
import mime from 'mime-types';
import { CircletError } from '../../domain/errors.ts';
import { decodeOffsetToken, encodePageToken } from '../../domain/paging.ts';
import { artifactsOfJob, getArtifact } from '../../storage/artifacts.ts';
import { getJob, tasksOfJob } from '../../storage/jobs.ts';
import { stepsOfTasks, outputOfStep } from '../../storage/steps.ts';
import { testResultsOfJob } from '../../storage/test-results.ts';
import type { HttpDeps } from '../deps.ts';
import { requireJob, requireJobByNumber } from '../pipeline-access.ts';
import type { SlugParams } from '../project-access.ts';
import { isTerminalJob } from '../../engine/pipeline/status.ts';
import { artifactUrl } from '../artifacts.ts';

const PAGE = 1000;
/** How long a presigned artifact URL stays valid: long enough to start a download, short enough not to be a share link. */
const ARTIFACT_URL_SECONDS = 300;

function offsetOf(token: string | undefined): number {
  return decodeOffsetToken(token);
}

export function jobOutputRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tags = ['Job'];
  const pageQuery = { type: 'object', properties: { 'page-token': { type: 'string' } } } as const;

  app.get<{ Params: SlugParams & { number: string }; Querystring: { 'page-token'?: string } }>(
    '/project/:provider/:organization/:project/:number/artifacts',
    { schema: { tags, operationId: 'getJobArtifacts', querystring: pageQuery } },
    async (req) => {
      const { job } = await requireJobByNumber(deps, req, req.params);
      const all = await artifactsOfJob(deps.database.db, job.id);
      const start = offsetOf(req.query['page-token']);
      return {
        items: all.slice(start, start + PAGE).map((a) => ({ path: a.path, node_index: a.node_index, url: artifactUrl(deps.engine.baseUrl, job.id, a.node_index, a.path) })),
        next_page_token: start + PAGE < all.length ? encodePageToken([start + PAGE]) : null,
      };
    },
  );

  app.get<{ Params: SlugParams & { number: string }; Querystring: { 'page-token'?: string } }>(
    '/project/:provider/:organization/:project/:number/tests',
    { schema: { tags, operationId: 'getTests', querystring: pageQuery } },
    async (req) => {
      const { job } = await requireJobByNumber(deps, req, req.params);
      const start = offsetOf(req.query['page-token']);
      const rows = await testResultsOfJob(deps.database.db, job.id, PAGE, start);
      return {
        items: rows.slice(0, PAGE).map((t) => ({ message: t.message ?? '', source: t.source, run_time: t.run_time, file: t.file, result: t.result, name: t.name, classname: t.classname })),
        next_page_token: rows.length > PAGE ? encodePageToken([start + PAGE]) : null,
      };
    },
  );

  // Artifact download: token-authenticated (then redirected to a presigned URL on S3), streamed, typed by extension; only paths the
  // job stored can be named, so nothing outside its artifacts is reachable.
  app.get<{ Params: { jobId: string; node: string; '*': string } }>('/output/job/:jobId/artifacts/:node/*', { schema: { hide: true } }, async (req, reply) => {
    const { job } = await requireJob(deps, req, req.params.jobId);
    const node = Number(req.params.node);
    const artifact = Number.isInteger(node) ? await getArtifact(deps.database.db, job.id, node, req.params['*']) : undefined;
    if (!artifact) throw new CircletError('ARTIFACT_NOT_FOUND');
    const type = mime.contentType(mime.lookup(artifact.path) || 'application/octet-stream') || 'application/octet-stream';
    // An object store that presigns serves the bytes itself: the replica only redirects.
    const direct = await deps.engine.blobs.downloadUrl?.(artifact.blob_key, ARTIFACT_URL_SECONDS, type);
    if (direct) return reply.redirect(direct, 302);
    const blob = await deps.engine.blobs.get(artifact.blob_key);
    if (!blob) throw new CircletError('ARTIFACT_NOT_FOUND');
    return reply
      .header('content-type', type)
      .header('content-length', String(blob.size))
      .send(blob.body);
  });

  // Live step output as server-sent events: `step` (start/end), `output` chunks, and a
  // final `end` when the job is finished.
  app.get<{ Params: { jobId: string } }>('/jobs/:jobId/output/stream', { schema: { hide: true } }, async (req, reply) => {
    const { job } = await requireJob(deps, req, req.params.jobId);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const seen = new Map<string, { seq: number; status: string }>();
    let closed = false;
    const abort = new AbortController();
    req.raw.on('close', () => {
      closed = true;
      abort.abort();
    });
    const db = deps.database.db;
    // Subscribed before the first read: a chunk stored in between wakes the next wait.
    const changes = deps.engine.watchJob(job.id);
    try {
      while (!closed) {
        const tasks = await tasksOfJob(db, job.id);
        const steps = await stepsOfTasks(db, tasks.map((t) => t.id));
        const nodeOf = new Map(tasks.map((t) => [t.id, t.node_index]));
        for (const s of steps) {
          const key = `${s.task_id}:${s.step_index}`;
          let st = seen.get(key);
          if (!st) {
            st = { seq: -1, status: '' };
            seen.set(key, st);
            send('step', { node_index: nodeOf.get(s.task_id), step: s.step_index, name: s.name, status: s.status });
          }
          for (const chunk of await outputOfStep(db, s.task_id, s.step_index, st.seq)) {
            st.seq = chunk.seq;
            send('output', { node_index: nodeOf.get(s.task_id), step: s.step_index, type: chunk.stream, time: chunk.at, message: chunk.data });
          }
          if (s.status !== st.status) {
            if (st.status !== '') send('step', { node_index: nodeOf.get(s.task_id), step: s.step_index, name: s.name, status: s.status, exit_code: s.exit_code });
            st.status = s.status;
          }
        }
        const current = await getJob(db, job.id);
        if (!current || isTerminalJob(current.status)) {
          send('end', { status: current?.status ?? 'unknown' });
          break;
        }
        // Woken by the job's steps and output on any replica; the timeout is a safety net.
        await changes.wait(2_000, abort.signal);
      }
    } finally {
      changes.close();
    }
    res.end();
  });
}
