// The agent's side of the runner protocol for what a job leaves behind (artifacts, test
// results, caches, workspace layers) and the stored test timings. Every call carries the
// runner token, the task credential and `x-circlet-agent`; bodies are streamed both ways (node:http, src/agent/http.ts).
// JSON calls are retried on network errors and 5xx; streamed uploads are not (a stream
// cannot be replayed), the steps report their failure instead.
import { pipeline, Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { Executor, Workspace } from '../executor/types.ts';
import { CircletError } from '../domain/errors.ts';
import { isLeaseLost, ProtocolError, type RunnerClient, type TaskPayload } from './client.ts';
import { httpRequest, type HttpResponse } from './http.ts';
import type { StepContext, StepOutcome } from './steps/types.ts';

export interface TestCaseResult {
  name: string;
  classname: string;
  file: string;
  result: 'success' | 'failure' | 'skipped' | 'error';
  message: string;
  /** Seconds. */
  run_time: number;
  source: string;
}

export interface StoredTiming {
  file: string;
  classname: string;
  name: string;
  run_time: number;
}

export interface WorkspaceLayer {
  id: string;
  job_name: string;
  size: number;
}

/** Uploads are bounded by time without progress, not in total (they may be large). */
const JSON_TIMEOUT_MS = 60_000;

/** An upload body: a stream (sent once), or a function making it afresh for each attempt. */
export type UploadBody = Readable | (() => Promise<Readable>);

export class OutputsClient {
  private readonly base: string;
  constructor(
    private readonly client: RunnerClient,
    private readonly taskId: string,
    private readonly signal?: AbortSignal,
  ) {
    this.base = `${client.opts.url.replace(/\/+$/, '')}/api/runner/v1/tasks/${encodeURIComponent(taskId)}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.client.taskHeaders(this.taskId), 'x-circlet-agent': this.client.opts.agentId, ...extra };
  }

  private signalWith(timeoutMs?: number): AbortSignal | undefined {
    const signals = [this.signal, timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
    return signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  }

  private async check(res: HttpResponse, what: string): Promise<HttpResponse> {
    if ((res.status >= 200 && res.status < 300)) return res;
    const text = await res.text().catch(() => '');
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON
    }
    if (res.status === 409) throw new CircletError('LEASE_LOST');
    throw new ProtocolError(`${what}: HTTP ${res.status} ${message.slice(0, 300)}`, res.status);
  }

  /** A JSON request, retried on network errors and 5xx. */
  private async json<T>(method: string, path: string, body?: unknown, attempts = 4): Promise<T> {
    let delay = this.client.opts.retryDelayMs ?? 200;
    let lastErr: unknown;
    for (let i = 0; i < attempts; i++) {
      if (this.signal?.aborted) throw this.signal.reason ?? new Error('aborted');
      try {
        const res = await httpRequest(this.base + path, {
          method,
          headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: this.signalWith(JSON_TIMEOUT_MS),
        });
        if (res.status >= 500) {
          res.body.resume();
          lastErr = new ProtocolError(`${method} ${path}: HTTP ${res.status}`, res.status);
        } else {
          return (await (await this.check(res, `${method} ${path}`)).json()) as T;
        }
      } catch (err) {
        if (isLeaseLost(err) || err instanceof ProtocolError || this.signal?.aborted) throw err;
        lastErr = err;
      }
      if (i < attempts - 1) await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  }

  /** A streamed upload: one attempt. */
  private async uploadOnce<T>(path: string, body: Readable): Promise<T> {
    const res = await httpRequest(this.base + path, {
      method: 'PUT',
      headers: this.headers({ 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' }),
      body,
      signal: this.signalWith(),
    });
    return (await (await this.check(res, `PUT ${path.split('?')[0]}`)).json()) as T;
  }

  /**
   * A streamed upload. Given a way to make the body again, an upload cut off by a network
   * error (a server replica killed mid-upload; the load balancer sends the retry to another)
   * or answered 5xx is sent again, up to 4 attempts; a stream given as it is gets one.
   */
  private async upload<T>(path: string, body: UploadBody, attempts = 4): Promise<T> {
    if (typeof body !== 'function') return this.uploadOnce<T>(path, body);
    let delay = this.client.opts.retryDelayMs ?? 200;
    for (let i = 1; ; i++) {
      const stream = await body();
      try {
        return await this.uploadOnce<T>(path, stream);
      } catch (err) {
        stream.destroy();
        const transient = !isLeaseLost(err) && !this.signal?.aborted && (!(err instanceof ProtocolError) || err.status >= 500);
        if (!transient || i >= attempts) throw err;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }

  /** A streamed download; undefined on 404. */
  private async download(path: string): Promise<Readable | undefined> {
    const res = await httpRequest(this.base + path, { headers: this.headers(), signal: this.signalWith() });
    if (res.status === 404) {
      res.body.resume();
      return undefined;
    }
    await this.check(res, `GET ${path.split('?')[0]}`);
    return res.body;
  }

  uploadArtifact(artifactPath: string, body: UploadBody): Promise<{ path: string; size: number }> {
    return this.upload(`/artifacts?path=${encodeURIComponent(artifactPath)}`, body);
  }

  async storeTestResults(tests: TestCaseResult[]): Promise<number> {
    let stored = 0;
    // Batches keep each request well below the server's body limit.
    for (let i = 0; i < tests.length; i += 5_000) stored += (await this.json<{ stored: number }>('POST', '/test-results', { tests: tests.slice(i, i + 5_000) })).stored;
    return stored;
  }

  /** The newest cache whose key starts with the first key (in order) that has any. */
  async lookupCache(keys: string[]): Promise<{ key: string; size: number } | undefined> {
    const r = await this.json<{ key: string | null; size?: number }>('POST', '/caches/lookup', { keys });
    return r.key ? { key: r.key, size: r.size ?? 0 } : undefined;
  }

  downloadCache(key: string): Promise<Readable | undefined> {
    return this.download(`/caches/blob?key=${encodeURIComponent(key)}`);
  }

  async saveCache(key: string, body: UploadBody): Promise<'saved' | 'exists'> {
    return (await this.upload<{ result: 'saved' | 'exists' }>(`/caches/blob?key=${encodeURIComponent(key)}`, body)).result;
  }

  async uploadWorkspaceLayer(body: UploadBody): Promise<number> {
    return (await this.upload<{ size: number }>('/workspace', body)).size;
  }

  async workspaceLayers(): Promise<WorkspaceLayer[]> {
    return (await this.json<{ layers: WorkspaceLayer[] }>('GET', '/workspace')).layers;
  }

  async downloadWorkspaceLayer(id: string): Promise<Readable> {
    const r = await this.download(`/workspace/${encodeURIComponent(id)}`);
    if (!r) throw new Error(`workspace layer ${id} is gone`);
    return r;
  }

  async timings(): Promise<StoredTiming[]> {
    return (await this.json<{ tests: StoredTiming[] }>('GET', '/timings')).tests;
  }
}

/** The file `circleci tests split --split-by=timings` reads (below CIRCLE_INTERNAL_TASK_DATA). */
export const TIMINGS_FILE = 'test-timings.json';

function normalizeFile(f: string): string {
  return f.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

/**
 * Stored timings (newest first) → `{ name: seconds }` for the in-job helper: the newest run
 * of each test counts once; a file's time and a class's time are the sums over their tests,
 * and every test is there by `classname.name` and by `name`. Files, classes and tests share
 * the map (`--timings-type` picks nothing apart; a name in two roles keeps the file's time).
 */
export function timingsMap(tests: StoredTiming[]): Record<string, number> {
  const seen = new Set<string>();
  const files = new Map<string, number>();
  const classes = new Map<string, number>();
  const names = new Map<string, number>();
  for (const t of tests) {
    const id = `${t.file}\0${t.classname}\0${t.name}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const rt = Number.isFinite(t.run_time) && t.run_time > 0 ? t.run_time : 0;
    const add = (m: Map<string, number>, k: string) => k && m.set(k, (m.get(k) ?? 0) + rt);
    add(files, normalizeFile(t.file));
    add(classes, t.classname);
    if (t.name) {
      names.set(t.classname ? `${t.classname}.${t.name}` : t.name, rt);
      if (!names.has(t.name)) names.set(t.name, rt);
    }
  }
  const out: Record<string, number> = {};
  for (const m of [names, classes, files]) for (const [k, v] of m) out[k] = Math.round(v * 1000) / 1000;
  return out;
}

/** gzip on the way out; errors of `src` reach the returned stream (and so abort an upload). */
export function compress(src: Readable, counter?: { bytes: number }): Readable {
  const gz = zlib.createGzip({ level: 3 });
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (counter) counter.bytes += chunk.length;
      cb(null, chunk);
    },
  });
  pipeline(src, gz, count, () => undefined);
  return count;
}

/** gunzip on the way in; errors of `src` reach the returned stream. */
export function decompress(src: Readable): Readable {
  const gunzip = zlib.createGunzip();
  pipeline(src, gunzip, () => undefined);
  return gunzip;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/**
 * Before the job's steps: fetches the project's stored timings and writes them to
 * `$CIRCLE_INTERNAL_TASK_DATA/test-timings.json` for `circleci tests split --split-by=timings`.
 * Only for jobs that can use them (parallelism > 1, or a step mentioning timings).
 * Returns a line for the job's output; never throws (splitting falls back to names).
 */
export async function installTimings(client: RunnerClient, payload: TaskPayload, executor: Executor, ws: Workspace, signal?: AbortSignal): Promise<string | undefined> {
  const steps = JSON.stringify(payload.job.config.steps ?? []);
  if (payload.task.parallelism <= 1 && !/timings/.test(steps)) return undefined;
  try {
    const tests = await new OutputsClient(client, payload.task.id, signal).timings();
    if (tests.length === 0) return 'Test timings: none stored for this project yet (--split-by=timings will split by name)';
    const map = timingsMap(tests);
    await executor.writeFile(ws, `${ws.internalDir}/${TIMINGS_FILE}`, JSON.stringify(map), 0o644);
    return `Test timings: ${tests.length} stored test result${tests.length === 1 ? '' : 's'} available to circleci tests split --split-by=timings`;
  } catch (err) {
    if (isLeaseLost(err)) throw err;
    return `Test timings could not be fetched (${err instanceof Error ? err.message : String(err)}); --split-by=timings will split by name`;
  }
}

/** An output step whose transfer was cut short by the job's cancellation ends `canceled`, not failed. */
export async function cancelAware(ctx: StepContext, type: string, run: () => Promise<StepOutcome>): Promise<StepOutcome> {
  try {
    return await run();
  } catch (err) {
    if (!ctx.signal.aborted) throw err;
    ctx.log(`circlet: ${type} stopped: the job was canceled\n`);
    return { status: 'canceled', exitCode: null };
  }
}
