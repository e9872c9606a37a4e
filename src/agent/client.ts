// The agent's side of the runner protocol (v1, docs/runner-protocol.md): JSON over HTTP,
// `Authorization: Bearer <runner token>`, retried on network errors and 5xx. Every call for a
// claimed task also carries the task credential its claim returned (x-circlet-task-credential).

import type { TaskPayload } from '../config/index.ts';
import { CircletError, isCircletError } from '../domain/errors.ts';
import type { StepStatus, TaskResult, TaskSecrets } from '../domain/runner-protocol.ts';
import { httpRequest } from './http.ts';

export type { StepStatus, TaskPayload, TaskResult, TaskSecrets };

/** The server no longer considers this agent the task's owner (409, LEASE_LOST): stop, report nothing more. */
export const isLeaseLost = (err: unknown): boolean => isCircletError(err, 'LEASE_LOST');

export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  url: string;
  token: string;
  agentId: string;
  /** Attempts for a request that fails with a network error or 5xx (default 6). */
  attempts?: number;
  /** First retry delay; doubles per attempt (default 200 ms). */
  retryDelayMs?: number;
  /**
   * Where step output goes instead of the raw output route: the embedded agent hands its
   * chunks to the server it lives in (server/embedded-output.ts). Same contract as output().
   */
  outputSink?: OutputSink;
}

/** Stores one chunk of step output for a claimed task (its credential given); rejects as output() does. */
export type OutputSink = (chunk: { taskId: string; credential: string; index: number; seq: number; stream: 'out' | 'err'; data: Buffer }) => Promise<void>;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class RunnerClient {
  private readonly base: string;
  /** Task credentials of the tasks this client claimed and has not finished. */
  private readonly credentials = new Map<string, string>();
  /** The server takes output on the raw route (until it answers 404 there). */
  private rawOutput = true;
  constructor(readonly opts: ClientOptions) {
    this.base = opts.url.replace(/\/+$/, '') + '/api/runner/v1';
  }

  /** The server's base URL, as this agent reaches it. */
  get serverUrl(): string {
    return this.opts.url.replace(/\/+$/, '');
  }

  get agentId(): string {
    return this.opts.agentId;
  }

  /** The headers that identify this agent for a claimed task's calls. */
  taskHeaders(taskId: string): Record<string, string> {
    const credential = this.credentials.get(taskId);
    return { authorization: `Bearer ${this.opts.token}`, ...(credential ? { 'x-circlet-task-credential': credential } : {}) };
  }

  /** POSTs `body` (plus agent_id); returns status and parsed body. Retries transient failures. */
  async post(path: string, body: Record<string, unknown>, signal?: AbortSignal, attempts = this.opts.attempts ?? 6): Promise<{ status: number; body: any }> {
    return this.send(path, { 'content-type': 'application/json' }, JSON.stringify({ agent_id: this.opts.agentId, ...body }), signal, attempts);
  }

  /** POSTs a body as it is; returns status and parsed body. Retries transient failures. */
  async send(path: string, headers: Record<string, string>, body: string | Buffer, signal?: AbortSignal, attempts = this.opts.attempts ?? 6): Promise<{ status: number; body: any }> {
    let delay = this.opts.retryDelayMs ?? 200;
    let lastErr: unknown;
    for (let i = 0; i < attempts; i++) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      try {
        const res = await httpRequest(this.base + path, {
          method: 'POST',
          headers: { ...this.headersFor(path), ...headers },
          body,
          signal,
        });
        const text = await res.text();
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = text;
        }
        if (res.status === 409) throw new CircletError('LEASE_LOST');
        if (res.status >= 500) {
          lastErr = new ProtocolError(`${path}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status);
        } else if (res.status >= 400) {
          throw new ProtocolError(`${path}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status);
        } else {
          return { status: res.status, body: parsed };
        }
      } catch (err) {
        if (isLeaseLost(err) || err instanceof ProtocolError) throw err;
        if (signal?.aborted) throw err;
        lastErr = err;
      }
      if (i < attempts - 1) await sleep(delay, signal);
      delay = Math.min(delay * 2, 5_000);
    }
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  }

  private headersFor(path: string): Record<string, string> {
    const task = /^\/tasks\/([^/]+)\//.exec(path);
    return task ? this.taskHeaders(decodeURIComponent(task[1]!)) : { authorization: `Bearer ${this.opts.token}` };
  }

  /** Long-polls for a task; undefined when none came within `waitMs`. */
  async claim(opts: { executors: readonly string[]; resourceClasses?: readonly string[]; waitMs: number }, signal?: AbortSignal): Promise<TaskPayload | undefined> {
    const res = await this.post(
      '/claim',
      { executors: opts.executors, ...(opts.resourceClasses && opts.resourceClasses.length > 0 ? { resource_classes: opts.resourceClasses } : {}), wait_ms: opts.waitMs },
      signal,
      1,
    );
    if (res.status === 204) return undefined;
    const payload = res.body as TaskPayload;
    this.hold(payload.task.id, payload.task.credential);
    return payload;
  }

  async cancellation(taskId: string, waitMs: number, signal?: AbortSignal): Promise<{ cancel: boolean }> {
    return (await this.post(`/tasks/${taskId}/cancellation`, { wait_ms: waitMs }, signal, 1)).body;
  }

  async heartbeat(taskId: string): Promise<{ cancel: boolean }> {
    return (await this.post(`/tasks/${taskId}/heartbeat`, {})).body;
  }

  async secrets(taskId: string): Promise<TaskSecrets> {
    return (await this.post(`/tasks/${taskId}/secrets`, {})).body;
  }

  async startStep(taskId: string, index: number, name: string, type: string): Promise<void> {
    await this.post(`/tasks/${taskId}/steps`, { index, name, type });
  }

  /**
   * A chunk of step output, as raw bytes on the raw route (no JSON escaping on either side);
   * a server without that route (404) gets it, and every later chunk, as JSON.
   */
  async output(taskId: string, index: number, seq: number, stream: 'out' | 'err', data: Buffer): Promise<void> {
    const sink = this.opts.outputSink;
    if (sink) return this.toSink(sink, { taskId, credential: this.credentials.get(taskId) ?? '', index, seq, stream, data });
    if (this.rawOutput) {
      try {
        const headers = { 'content-type': 'application/octet-stream', 'x-circlet-agent': this.opts.agentId };
        await this.send(`/tasks/${taskId}/steps/${index}/output/raw?seq=${seq}&stream=${stream}`, headers, data);
        return;
      } catch (err) {
        if (!(err instanceof ProtocolError && err.status === 404)) throw err;
        this.rawOutput = false;
      }
    }
    await this.post(`/tasks/${taskId}/steps/${index}/output`, { seq, stream, data: data.toString('utf8') });
  }

  /** A chunk handed to the sink, retried as a request answered 5xx would be. */
  private async toSink(sink: OutputSink, chunk: Parameters<OutputSink>[0]): Promise<void> {
    let delay = this.opts.retryDelayMs ?? 200;
    const attempts = this.opts.attempts ?? 6;
    for (let i = 1; ; i++) {
      try {
        return await sink(chunk);
      } catch (err) {
        if (!(err instanceof ProtocolError && err.status >= 500) || i >= attempts) throw err;
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }

  async endStep(taskId: string, index: number, status: StepStatus, exitCode: number | null): Promise<void> {
    await this.post(`/tasks/${taskId}/steps/${index}/end`, { status, exit_code: exitCode });
  }

  async complete(taskId: string, status: TaskResult, message?: string): Promise<void> {
    await this.post(`/tasks/${taskId}/complete`, { status, ...(message ? { message: message.slice(0, 10_000) } : {}) });
    this.forget(taskId);
  }

  /** Remembers the credential of a task this agent claimed. */
  hold(taskId: string, credential: string): void {
    this.credentials.set(taskId, credential);
  }

  /** The task is over for this agent: its credential is dropped. */
  forget(taskId: string): void {
    this.credentials.delete(taskId);
  }
}
