// Compiles configs in worker threads, off the server's event loop: a pathological config costs
// one worker (ended at its time limit or when its heap limit is reached), never the server.
// Every compile for a request or a trigger goes through here (engine/trigger.ts, the compile
// route, `circlet config`); the compiler itself stays pure in src/config.
//
// Workers are kept warm (a small pool, one compile at a time per worker, so a limit hit is
// charged to the compile that caused it). Orb lookups are answered by the parent thread, where
// the OrbSource lives. The worker entry is the sibling `compile-worker-main` file: `.js` when
// running built output from dist/, `.ts` when running the sources (vitest, tsx), in which case
// the worker first registers tsx's loader (worker-thread.ts).
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { CompileOptions, CompileResult } from '../../config/types.ts';
import type { FromWorker, ToWorker } from './compile-protocol.ts';
import { startWorkerThread } from './worker-thread.ts';

/** Wall-clock limit of one compile (docs/limits.md). */
export const COMPILE_TIMEOUT_MS = 10_000;
/** Old-generation heap of one compile worker, in MB (docs/limits.md). */
export const COMPILE_HEAP_MB = 256;
/** Workers idle this long are ended (their memory returned); the next compile starts them again. */
export const COMPILE_IDLE_MS = 120_000;

export interface CompileWorkersOptions {
  /** Workers kept (default: 2, or 1 on a single core). */
  size?: number;
  timeoutMs?: number;
  heapMb?: number;
  idleMs?: number;
}

interface Job {
  id: number;
  source: string;
  options: CompileOptions;
  resolve: (r: CompileResult) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  /** Set once the slot is being replaced (its worker ended or is being ended). */
  dead: boolean;
}

/** A compile that did not finish: a config error, as the compiler reports any other problem. */
export function failedCompile(message: string): CompileResult {
  return { config: null, compiled: null, compiledYaml: null, setup: false, orbs: [], diagnostics: [{ severity: 'error', path: '', message }] };
}

export class CompileWorkers {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly heapMb: number;
  private readonly idleMs: number;
  private idleTimer: NodeJS.Timeout | null = null;
  private nextId = 0;
  private closed = false;
  /** Workers in a row that ended before they were ready; past a few, queued compiles fail. */
  private bootFailures = 0;

  constructor(opts: CompileWorkersOptions = {}) {
    this.size = Math.max(1, opts.size ?? Math.min(2, availableParallelism()));
    this.timeoutMs = opts.timeoutMs ?? COMPILE_TIMEOUT_MS;
    this.heapMb = opts.heapMb ?? COMPILE_HEAP_MB;
    this.idleMs = opts.idleMs ?? COMPILE_IDLE_MS;
  }

  /** Starts the workers now, so the first compile does not pay for their start-up. */
  warm(): void {
    while (!this.closed && this.slots.length < this.size) this.slots.push(this.spawn());
  }

  /** compileConfig in a worker; never rejects: limits and worker failures are config errors. */
  compile(source: string, options: CompileOptions = {}): Promise<CompileResult> {
    if (this.closed) return Promise.resolve(failedCompile('The compiler is shutting down'));
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, source, options, resolve });
      this.warm();
      this.dispatch();
      this.updateRefs();
    });
  }

  /** Workers keep the process alive only while a compile waits or runs. */
  private updateRefs(): void {
    const busy = this.queue.length > 0 || this.slots.some((s) => s.job !== null);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!busy && this.slots.length > 0 && !this.closed) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        if (this.queue.length > 0 || this.slots.some((s) => s.job !== null)) return;
        for (const slot of this.slots.splice(0)) void this.retire(slot, 'idle');
      }, this.idleMs);
      this.idleTimer.unref();
    }
    for (const s of this.slots) {
      if (s.dead) continue;
      if (busy) s.worker.ref();
      else s.worker.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const job of this.queue.splice(0)) job.resolve(failedCompile('The compiler is shutting down'));
    await Promise.all(this.slots.splice(0).map((s) => this.retire(s, 'The compiler is shutting down')));
  }

  private spawn(): Slot {
    const resourceLimits = { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, this.heapMb / 8)) };
    const worker = startWorkerThread(import.meta.url, 'compile-worker-main', { resourceLimits });
    const slot: Slot = { worker, ready: false, job: null, timer: null, dead: false };
    worker.on('message', (msg: FromWorker | { t: 'boot-failed'; message: string }) => this.onMessage(slot, msg));
    worker.on('error', (err: Error & { code?: string }) => {
      const message =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `Compiling the config needed more than ${this.heapMb} MB of memory (the compile memory limit); it was stopped`
          : `The config compiler stopped: ${err.message}`;
      this.replace(slot, message);
    });
    worker.on('exit', () => this.replace(slot, 'The config compiler stopped unexpectedly'));
    // Idle workers do not keep the process alive (after the listeners: adding one refs the port).
    worker.unref();
    return slot;
  }

  private onMessage(slot: Slot, msg: FromWorker | { t: 'boot-failed'; message: string }): void {
    if (msg.t === 'boot-failed') {
      this.replace(slot, `The config compiler could not start: ${msg.message.split('\n')[0]}`);
      return;
    }
    if (msg.t === 'ready') {
      slot.ready = true;
      this.bootFailures = 0;
      this.dispatch();
      return;
    }
    const job = slot.job;
    if (!job || job.id !== msg.id) return;
    if (msg.t === 'orb') {
      const source = job.options.orbSource;
      const reply = (m: ToWorker): void => {
        if (slot.job === job && !slot.dead) slot.worker.postMessage(m);
      };
      if (!source) return reply({ t: 'orb', rid: msg.rid, value: null });
      source.resolve(msg.ref).then(
        (value) => reply({ t: 'orb', rid: msg.rid, value }),
        (err: unknown) => reply({ t: 'orb', rid: msg.rid, error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    if (msg.t === 'url-orb') {
      const source = job.options.orbSource;
      const reply = (m: ToWorker): void => {
        if (slot.job === job && !slot.dead) slot.worker.postMessage(m);
      };
      if (!source?.resolveUrl) return reply({ t: 'orb', rid: msg.rid, error: 'URL orbs are not supported here' });
      source.resolveUrl(msg.url).then(
        (value) => reply({ t: 'orb', rid: msg.rid, value: { source: value.source, resolvedVersion: msg.url } }),
        (err: unknown) => reply({ t: 'orb', rid: msg.rid, error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    this.finish(slot, msg.t === 'done' ? msg.result : failedCompile(`Config could not be compiled: ${msg.message}`));
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.job || slot.dead) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.timer = setTimeout(() => this.replace(slot, `The config took longer than ${this.timeoutMs / 1000} s to compile (the compile time limit); it was stopped`), this.timeoutMs);
      const { orbSource, ...options } = job.options;
      const msg: ToWorker = { t: 'compile', id: job.id, source: job.source, options, hasOrbSource: orbSource !== undefined };
      slot.worker.postMessage(msg);
    }
  }

  private finish(slot: Slot, result: CompileResult): void {
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    job?.resolve(result);
    this.updateRefs();
  }

  /** Ends a slot's worker, fails its compile with `message`, and starts a fresh worker. */
  private replace(slot: Slot, message: string): void {
    if (slot.dead) return;
    void this.retire(slot, message);
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (!slot.ready && ++this.bootFailures >= 3) {
      // Workers cannot start at all (a broken install): fail what waits instead of retrying forever.
      for (const job of this.queue.splice(0)) job.resolve(failedCompile(message));
      this.bootFailures = 0;
      return;
    }
    if (!this.closed) {
      this.warm();
      this.dispatch();
      this.updateRefs();
    }
  }

  private async retire(slot: Slot, message: string): Promise<void> {
    slot.dead = true;
    this.finish(slot, failedCompile(message));
    await slot.worker.terminate().catch(() => undefined);
  }
}

let shared: CompileWorkers | undefined;

/** The process's compile workers (started on first use). */
export function compileWorkers(): CompileWorkers {
  shared ??= new CompileWorkers();
  return shared;
}

/** compileConfig off the event loop, with the compile time and memory limits. Never rejects. */
export function compileIsolated(source: string, options: CompileOptions = {}): Promise<CompileResult> {
  return compileWorkers().compile(source, options);
}
