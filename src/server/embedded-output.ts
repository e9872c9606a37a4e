// Step output of the embedded agent, handed to the server it lives in instead of being sent
// over loopback HTTP (agent/client.ts `outputSink`). A job printing fast made both threads
// pay for HTTP per byte: the agent's socket writes, and on the server's thread the socket
// reads (a fresh buffer per 64 KB read: their garbage alone started full collections of the
// heap every few MB), the request parsing and the copy of each body into its buffer.
//
// The chunk is checked as the raw output route checks it (the task is held by the embedded
// agent's runner token, agent id and task credential: http/runner/services/task-auth.ts),
// then stored by the same engine call (seq order, lease, cap). From the worker thread the
// chunk's bytes are shared, not copied: the agent's output buffers are SharedArrayBuffers
// (agent/output.ts `alloc`), which it reuses only once the store answered.
import type { MessagePort, Worker } from 'node:worker_threads';
import { ProtocolError, type OutputSink } from '../agent/client.ts';
import { CircletError } from '../domain/errors.ts';
import type { TaskHolder } from '../engine/runner/task-credential.ts';

/** The engine calls the raw output route makes (engine/runner/runner-side.ts). */
export interface OutputStore {
  holds(taskId: string, holder: TaskHolder): Promise<boolean>;
  appendOutput(taskId: string, agentId: string, chunk: { index: number; seq: number; stream: string; data: Buffer }): Promise<void>;
}

/** A chunk on its way from the agent's worker thread (`data` shares the agent's buffer). */
export type OutputMessage = { t: 'output'; id: number; taskId: string; credential: string; index: number; seq: number; stream: 'out' | 'err'; data: Uint8Array };
/** The answer to chunk `id`: stored (no error), or why not, as the raw route would have answered. */
export type OutputAnswer = { t: 'output-done'; id: number; error?: { code?: string; status: number; message: string } };

/** On the server's thread: stores the embedded agent's chunks as the raw output route does. */
export function storingSink(store: OutputStore, holder: { runnerTokenId: string; agentId: string }): OutputSink {
  return async (c) => {
    if (!(await store.holds(c.taskId, { runnerTokenId: holder.runnerTokenId, agentId: holder.agentId, credential: c.credential }))) throw new CircletError('LEASE_LOST');
    await store.appendOutput(c.taskId, holder.agentId, { index: c.index, seq: c.seq, stream: c.stream, data: c.data });
  };
}

/** On the server's thread: answers the worker's output messages with `sink`. */
export function serveOutput(worker: Worker, sink: OutputSink, msg: OutputMessage): void {
  const data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
  sink({ taskId: msg.taskId, credential: msg.credential, index: msg.index, seq: msg.seq, stream: msg.stream, data }).then(
    () => worker.postMessage({ t: 'output-done', id: msg.id } satisfies OutputAnswer),
    (err: unknown) => {
      const error = err instanceof CircletError ? { code: err.code, status: err.statusCode, message: err.message } : { status: 500, message: err instanceof Error ? err.message : String(err) };
      worker.postMessage({ t: 'output-done', id: msg.id, error } satisfies OutputAnswer);
    },
  );
}

/**
 * In the worker: a sink that posts each chunk to the server's thread and settles with its
 * answer (a lost lease as CircletError, anything else as the HTTP status the route would have
 * given, so that the client retries a 5xx as it does over HTTP). `answer` takes the port's
 * `output-done` messages.
 */
export function portSink(port: MessagePort): { sink: OutputSink; answer(msg: OutputAnswer): void } {
  const pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let next = 0;
  return {
    sink: (c) =>
      new Promise<void>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        port.postMessage({ t: 'output', id, ...c } satisfies OutputMessage);
      }),
    answer(msg) {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (!msg.error) p.resolve();
      else if (msg.error.code === 'LEASE_LOST') p.reject(new CircletError('LEASE_LOST'));
      else p.reject(new ProtocolError(`step output: ${msg.error.status} ${msg.error.message}`, msg.error.status));
    },
  };
}

/** Output buffers the server's thread can read where they are (posted, a SharedArrayBuffer is shared, not copied). */
export const sharedAlloc = (size: number): Buffer => Buffer.from(new SharedArrayBuffer(size));
