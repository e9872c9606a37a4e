// The runner agent: `concurrency` loops that long-poll the server for tasks this agent
// can run and run them. Used by `circlet agent` and, over loopback, by `circlet serve`.
//
// Stopping (SIGTERM) drains: no new claims; running jobs get `drainMs` to finish; jobs
// still running then are killed and reported as infrastructure_fail ("the agent was shut
// down"), so their workflows move on at once instead of waiting for a lease to lapse.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseExecutor, CONTAINER_NODE } from '../executor/choose.ts';
import { HostExecutor } from '../executor/host.ts';
import type { Executor } from '../executor/types.ts';
import { ProtocolError, RunnerClient, type OutputSink } from './client.ts';
import { silentLogger, type Logger } from './logger.ts';
import { TaskRun, type TaskRunnerDeps } from './task-runner.ts';

export interface AgentOptions {
  url: string;
  token: string;
  agentId?: string;
  /** Jobs run at once (default 1). */
  concurrency?: number;
  /** Self-hosted resource classes to claim (`ns/name`); none = CircleCI's cloud classes. */
  resourceClasses?: string[];
  /** Where job workspaces go (host executor); default `defaultWorkDir()`. */
  workDir?: string;
  /** Run `docker` jobs on the host (no Docker engine needed). */
  dockerOnHost?: boolean;
  /** Another executor than the host one. */
  executor?: Executor;
  logger?: Logger;
  /** How long one claim request waits on the server (default 25 s). */
  claimWaitMs?: number;
  output?: TaskRunnerDeps['output'];
  /** `checkout` fetches from the project's origin (with its checkout key) instead of the server. */
  checkoutFromOrigin?: boolean;
  /** Step output goes here instead of the raw output route (the embedded agent: client.ts). */
  outputSink?: OutputSink;
}

const HELPER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tools', 'circleci.mjs');

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `circleci` and `circleci-agent` commands jobs see: shell wrappers around the helper. */
export function helperTools(node = process.execPath, helper = HELPER): Record<string, string> {
  const wrap = (name: string) => `#!/bin/sh\nexec ${shQuote(node)} ${shQuote(helper)} ${name} "$@"\n`;
  return { circleci: wrap('circleci'), 'circleci-agent': wrap('circleci-agent') };
}

/** Where the helper's directory is mounted (read-only) in docker jobs' primary containers. */
export const CONTAINER_TOOLS = '/opt/circlet/tools';

/**
 * The executor of `circlet agent` / `circlet serve`: docker jobs in containers when a Docker
 * engine answers a ping at start-up (the agent's node and the `circleci` helper are mounted
 * read-only into primary containers); without one, docker jobs are not claimed (`reason`
 * says why), unless `dockerOnHost` maps them to the host.
 */
export async function agentExecutor(opts: { workDir?: string; dockerOnHost?: boolean; socketPath?: string; machineImage?: string }): Promise<{ executor: Executor; reason: string }> {
  return chooseExecutor({
    workDir: opts.workDir ?? defaultWorkDir(),
    dockerOnHost: opts.dockerOnHost,
    socketPath: opts.socketPath,
    machineImage: opts.machineImage,
    mounts: { [process.execPath]: CONTAINER_NODE, [path.dirname(HELPER)]: CONTAINER_TOOLS },
  });
}

/**
 * The same directory at every start (per user), so that an agent started after a crash
 * finds and sweeps what its predecessor left behind.
 */
export function defaultWorkDir(): string {
  const dir = path.join(os.tmpdir(), `circlet-agent-${os.userInfo().uid}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export class Agent {
  readonly agentId: string;
  readonly client: RunnerClient;
  readonly executor: Executor;
  private readonly deps: TaskRunnerDeps;
  private readonly runs = new Set<TaskRun>();
  private readonly claimAbort = new AbortController();
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly logger: Logger;
  /** Set once running jobs are to be handed back (drain time over). */
  private abandoned: string | undefined;

  constructor(private readonly opts: AgentOptions) {
    this.agentId = opts.agentId ?? `${os.hostname()}-${crypto.randomBytes(4).toString('hex')}`;
    this.logger = opts.logger ?? silentLogger;
    this.client = new RunnerClient({ url: opts.url, token: opts.token, agentId: this.agentId, outputSink: opts.outputSink });
    let workDir = opts.workDir;
    if (!opts.executor && !workDir) workDir = defaultWorkDir();
    this.executor = opts.executor ?? new HostExecutor({ workDir: workDir!, dockerOnHost: opts.dockerOnHost });
    this.deps = { client: this.client, executor: this.executor, tools: helperTools(), logger: this.logger, output: opts.output, checkoutFrom: opts.checkoutFromOrigin ? 'origin' : 'server' };
  }

  /** Jobs running now. */
  get running(): number {
    return this.runs.size;
  }

  /** Starts claiming. The promise ends when the agent stopped (rejects on a bad token). */
  start(): Promise<void> {
    const n = Math.max(1, this.opts.concurrency ?? 1);
    this.logger.info({ agent: this.agentId, executors: this.executor.kinds, concurrency: n }, 'agent started');
    // First, what a crashed predecessor left behind (workspaces, processes) goes.
    const swept = (this.executor.sweep ? this.executor.sweep().catch(() => 0) : Promise.resolve(0)).then((removed) => {
      if (removed > 0) this.logger.warn({ removed }, 'removed workspaces (and their processes) left by an agent that died');
    });
    this.loops = Array.from({ length: n }, async () => {
      await swept;
      return this.loop();
    });
    return Promise.all(this.loops).then(() => undefined);
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let payload;
      try {
        payload = await this.client.claim(
          { executors: this.executor.kinds, resourceClasses: this.opts.resourceClasses, waitMs: this.opts.claimWaitMs ?? 25_000 },
          this.claimAbort.signal,
        );
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        if (err instanceof ProtocolError && (err.status === 401 || err.status === 403)) {
          this.logger.error({ err: err.message }, 'the server refused this agent\'s token');
          this.stopping = true;
          this.claimAbort.abort();
          throw new Error(`the server refused the runner token (${err.status})`);
        }
        failures++;
        this.logger.warn({ err: String(err) }, 'claim failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** failures)));
        continue;
      }
      if (!payload) continue;
      this.logger.info({ task: payload.task.id, job: payload.job.name, node: payload.task.node_index }, 'claimed a job');
      const run = new TaskRun(this.deps, payload);
      this.runs.add(run);
      if (this.abandoned) run.stop('shutdown', this.abandoned);
      try {
        await run.done;
      } finally {
        this.runs.delete(run);
      }
    }
  }

  /**
   * Stops claiming and drains: running jobs get `drainMs` (default: forever) to finish,
   * then are stopped and reported as infrastructure_fail.
   */
  async stop(opts: { drainMs?: number; message?: string } = {}): Promise<void> {
    this.stopping = true;
    this.claimAbort.abort();
    const all = Promise.all(this.loops.map((l) => l.catch(() => undefined)));
    if (opts.drainMs !== undefined && this.runs.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((r) => (timer = setTimeout(r, opts.drainMs)))]);
      clearTimeout(timer);
      this.abandon(opts.message);
    }
    await all;
  }

  /** Stops every running job at once (a second SIGTERM). */
  abandon(message = 'The agent was shut down before this job finished.'): void {
    if (this.abandoned) return;
    this.stopping = true;
    this.abandoned = message;
    this.claimAbort.abort();
    for (const run of this.runs) run.stop('shutdown', message);
  }
}
