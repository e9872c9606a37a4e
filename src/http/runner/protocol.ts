// The runner protocol (v1): how agents claim tasks, keep leases, stream output and report
// results. Authenticated by runner tokens (`Authorization: Bearer <token>`). See
// docs/runner-protocol.md.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_INT, MIN_INT } from '../../domain/numbers.ts';
import { TASK_RESULTS, type StepStatus, type TaskResult } from '../../domain/runner-protocol.ts';
import type { RunnerToken } from '../../storage/runner-tokens.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../../domain/errors.ts';
import { RawBodies } from './services/raw-body.ts';

const EXECUTORS = ['docker', 'machine', 'macos', 'windows'];
/** Largest output chunk, JSON or raw. */
const RAW_OUTPUT_LIMIT = 8 * 1024 * 1024;

const agentBody = {
  type: 'object',
  properties: { agent_id: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['agent_id'],
} as const;

const taskParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
const stepParams = { type: 'object', properties: { id: { type: 'string' }, index: { type: 'integer', minimum: 0, maximum: MAX_INT } }, required: ['id', 'index'] } as const;

export function runnerRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const runner = deps.engine.runner;
  app.post<{ Body: { agent_id: string; executors?: string[]; resource_classes?: string[]; wait_ms?: number } }>(
    `/claim`,
    {
      schema: {
        hide: true,
        body: {
          type: 'object',
          properties: {
            agent_id: { type: 'string', minLength: 1, maxLength: 200 },
            executors: { type: 'array', items: { type: 'string', enum: EXECUTORS } },
            resource_classes: { type: 'array', items: { type: 'string' } },
            wait_ms: { type: 'integer', minimum: 0, maximum: 60_000 },
          },
          required: ['agent_id'],
        },
      },
    },
    async (req, reply) => {
      const token = (req as FastifyRequest & { runner: RunnerToken }).runner;
      // A token serves its own class (self-hosted, of one organization) or the cloud classes;
      // an agent cannot widen that by naming other classes.
      const other = (req.body.resource_classes ?? []).find((c) => c !== token.resource_class);
      if (other !== undefined) {
        throw token.resource_class ? new CircletError('RUNNER_TOKEN_OTHER_CLASS', { own: token.resource_class, other }) : new CircletError('RUNNER_TOKEN_CLOUD_ONLY', { other });
      }
      const classes = token.resource_class ? [token.resource_class] : null;
      runner.agents.seen(req.body.agent_id, token.resource_class, req.ip);
      const waitMs = req.body.wait_ms ?? 25_000;
      // A long poll stops when the agent goes away: the response's 'close' before we answered
      // (the request's own 'close' has already fired once its body was read). A claim that
      // does not wait needs no signal, and a response that was sent aborts nothing (an abort
      // builds a DOMException: on every claim that was a good part of its CPU).
      let signal: AbortSignal | undefined;
      if (waitMs > 0) {
        const abort = new AbortController();
        reply.raw.on('close', () => {
          if (!reply.raw.writableEnded) abort.abort();
        });
        signal = abort.signal;
      }
      const claimed = await runner.claim(
        { agentId: req.body.agent_id, executors: req.body.executors ?? ['machine'], resourceClasses: classes, runnerTokenId: token.id },
        waitMs,
        signal,
      );
      if (!claimed) return reply.status(204).send();
      return runner.payload(claimed);
    },
  );

  app.post<{ Params: { id: string }; Body: { agent_id: string } }>(`/tasks/:id/heartbeat`, { schema: { hide: true, params: taskParams, body: agentBody } }, async (req) => {
    runner.agents.seen(req.body.agent_id, (req as FastifyRequest & { runner: RunnerToken }).runner.resource_class, req.ip);
    const r = await runner.heartbeat(req.params.id, req.body.agent_id);
    return { cancel: r.cancel, lease_expires_at: r.leaseExpiresAt };
  });

  app.post<{ Params: { id: string }; Body: { agent_id: string; wait_ms?: number } }>(
    `/tasks/:id/cancellation`,
    { schema: { hide: true, params: taskParams, body: { ...agentBody, properties: { ...agentBody.properties, wait_ms: { type: 'integer', minimum: 0, maximum: 60_000 } } } } },
    async (req, reply) => {
      const deadline = Date.now() + (req.body.wait_ms ?? 20_000);
      const abort = new AbortController();
      // Stop heartbeating as soon as the agent hangs up: a dead agent must not keep its lease.
      reply.raw.on('close', () => abort.abort());
      for (;;) {
        const r = await runner.heartbeat(req.params.id, req.body.agent_id);
        const left = deadline - Date.now();
        if (r.cancel || left <= 0 || abort.signal.aborted) return { cancel: r.cancel, lease_expires_at: r.leaseExpiresAt };
        await runner.waitFor('cancel', Math.min(left, 500), abort.signal);
      }
    },
  );

  app.post<{ Params: { id: string }; Body: { agent_id: string } }>(`/tasks/:id/secrets`, { schema: { hide: true, params: taskParams, body: agentBody } }, async (req) => {
    return runner.secrets(req.params.id, req.body.agent_id);
  });

  app.post<{ Params: { id: string }; Body: { agent_id: string; index: number; name: string; type: string } }>(
    `/tasks/:id/steps`,
    {
      schema: {
        hide: true,
        params: taskParams,
        body: {
          type: 'object',
          properties: { agent_id: { type: 'string' }, index: { type: 'integer', minimum: 0, maximum: MAX_INT }, name: { type: 'string' }, type: { type: 'string' } },
          required: ['agent_id', 'index', 'name', 'type'],
        },
      },
    },
    async (req) => {
      await runner.startStep(req.params.id, req.body.agent_id, req.body);
      return { ok: true };
    },
  );

  app.post<{ Params: { id: string; index: number }; Body: { agent_id: string; seq: number; stream?: string; data: string } }>(
    `/tasks/:id/steps/:index/output`,
    {
      bodyLimit: 8 * 1024 * 1024,
      // A program may print NUL bytes or split characters: stored with U+FFFD (claims.ts), not refused.
      config: { anyBodyText: true },
      schema: {
        hide: true,
        params: stepParams,
        body: {
          type: 'object',
          properties: { agent_id: { type: 'string' }, seq: { type: 'integer', minimum: 0, maximum: MAX_INT }, stream: { type: 'string', enum: ['out', 'err'] }, data: { type: 'string' } },
          required: ['agent_id', 'seq', 'data'],
        },
      },
    },
    async (req) => {
      await runner.appendOutput(req.params.id, req.body.agent_id, { index: req.params.index, seq: req.body.seq, stream: req.body.stream ?? 'out', data: req.body.data });
      return { ok: true };
    },
  );

  // The same chunk as raw bytes (docs/runner-protocol.md): no JSON framing or escaping of
  // output on either side, the agent id in `X-Circlet-Agent`, seq and stream in the query.
  const rawBodies = new RawBodies(RAW_OUTPUT_LIMIT);
  app.addContentTypeParser('application/octet-stream', rawBodies.parser);
  app.post<{ Params: { id: string; index: number }; Querystring: { seq: number; stream?: 'out' | 'err' }; Body: Buffer | undefined }>(
    `/tasks/:id/steps/:index/output/raw`,
    {
      bodyLimit: RAW_OUTPUT_LIMIT,
      config: { anyBodyText: true },
      schema: {
        hide: true,
        params: stepParams,
        querystring: {
          type: 'object',
          properties: { seq: { type: 'integer', minimum: 0, maximum: MAX_INT }, stream: { type: 'string', enum: ['out', 'err'] } },
          required: ['seq'],
        },
      },
    },
    async (req) => {
      const body = req.body ?? Buffer.alloc(0);
      if (!Buffer.isBuffer(body)) throw new CircletError('RAW_OUTPUT_TYPE');
      const agentId = req.headers['x-circlet-agent'];
      try {
        // An empty body is still seen (stored as nothing), so that the next seq need not wait for it.
        await runner.appendOutput(req.params.id, typeof agentId === 'string' ? agentId : '', { index: req.params.index, seq: req.query.seq, stream: req.query.stream ?? 'out', data: body });
      } finally {
        // Stored (or refused): the body's buffer is read no more.
        rawBodies.release(body);
      }
      return { ok: true };
    },
  );

  app.post<{ Params: { id: string; index: number }; Body: { agent_id: string; status: string; exit_code?: number | null } }>(
    `/tasks/:id/steps/:index/end`,
    {
      schema: {
        hide: true,
        params: stepParams,
        body: {
          type: 'object',
          properties: {
            agent_id: { type: 'string' },
            status: { type: 'string', enum: ['success', 'failed', 'canceled', 'timedout'] },
            exit_code: { type: 'integer', nullable: true, minimum: MIN_INT, maximum: MAX_INT },
          },
          required: ['agent_id', 'status'],
        },
      },
    },
    async (req) => {
      await runner.endStep(req.params.id, req.body.agent_id, { index: req.params.index, status: req.body.status as StepStatus, exitCode: req.body.exit_code ?? null });
      return { ok: true };
    },
  );

  app.post<{ Params: { id: string }; Body: { agent_id: string; status: TaskResult; message?: string } }>(
    `/tasks/:id/complete`,
    {
      schema: {
        hide: true,
        params: taskParams,
        body: {
          type: 'object',
          properties: { agent_id: { type: 'string' }, status: { type: 'string', enum: [...TASK_RESULTS] }, message: { type: 'string', maxLength: 10_000 } },
          required: ['agent_id', 'status'],
        },
      },
    },
    async (req) => {
      await runner.complete(req.params.id, req.body.agent_id, req.body.status, req.body.message);
      return { ok: true };
    },
  );
}
