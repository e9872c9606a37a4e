// The agent `circlet serve` starts by default: a regular runner agent with a runner token
// of its own, talking to this server over loopback (the same protocol as `circlet agent`),
// in a worker thread of its own (embedded-agent-worker.ts), so a job printing fast costs the
// server's event loop only the storing of its output, not the reading and masking. Given the
// server's engine (`outputStore`), step output skips HTTP: chunks reach the engine over the
// worker's port, checked and stored as the raw output route does (embedded-output.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { OutputSink } from '../agent/client.ts';
import type { Logger } from '../agent/logger.ts';
import { startWorkerThread } from '../engine/services/worker-thread.ts';
import type { Database } from '../storage/db.ts';
import { recordAudit } from '../engine/services/audit.ts';
import { createRunnerToken, findRunnerToken } from '../storage/runner-tokens.ts';
import type { EmbeddedAgentConfig, FromAgentWorker, ToAgentWorker } from './embedded-agent-protocol.ts';
import { serveOutput, storingSink, type OutputStore } from './embedded-output.ts';

export const EMBEDDED_TOKEN_NAME = 'embedded agent (circlet serve)';

export interface EmbeddedAgent {
  agentId: string;
  /** Drains: running jobs get `drainMs`, then are handed back as infrastructure_fail. */
  stop(drainMs?: number): Promise<void>;
}

export async function startEmbeddedAgent(opts: {
  database: Database;
  url: string;
  dataDir: string;
  concurrency: number;
  dockerOnHost?: boolean;
  logger: Logger;
  /**
   * Run the agent on this thread instead of a worker thread: for a process that does nothing
   * else (`circlet run`), where a worker's second module load only costs start-up time.
   */
  inProcess?: boolean;
  /**
   * `checkout` fetches from the project's URL, not over the server's /git: for a local run on
   * the host, whose project URL is a repository on this machine.
   */
  checkoutFromOrigin?: boolean;
  /**
   * This server's engine: step output then reaches it without HTTP (embedded-output.ts).
   * Without it, output goes over loopback like every other call.
   */
  outputStore?: OutputStore;
}): Promise<EmbeddedAgent> {
  const token = await embeddedToken(opts.database, opts.dataDir);
  const agentId = `embedded-${os.hostname()}-${process.pid}`;
  const tokenRow = opts.outputStore ? await findRunnerToken(opts.database.db, token) : undefined;
  const sink = opts.outputStore && tokenRow ? storingSink(opts.outputStore, { runnerTokenId: tokenRow.id, agentId }) : undefined;
  const config: EmbeddedAgentConfig = {
    url: opts.url,
    token,
    agentId,
    concurrency: opts.concurrency,
    workDir: path.join(opts.dataDir, 'agent-work'),
    dockerOnHost: opts.dockerOnHost,
    checkoutFromOrigin: opts.checkoutFromOrigin,
    outputOverPort: sink !== undefined,
  };
  if (opts.inProcess) return startOnThisThread(config, opts.logger, sink);
  const worker = startWorkerThread(import.meta.url, 'embedded-agent-worker', { data: config });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopped: () => void = () => undefined;
  const stoppedOnce = new Promise<void>((resolve) => (stopped = resolve));
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (msg: FromAgentWorker) => {
      if (msg.t === 'log') opts.logger[msg.level](msg.obj, msg.msg);
      else if (msg.t === 'output') {
        if (sink) serveOutput(worker, sink, msg);
      } else if (msg.t === 'started') resolve();
      else if (msg.t === 'stopped') stopped();
      else reject(new Error(`the embedded agent did not start: ${msg.message}`));
    });
    worker.once('error', (err) => {
      opts.logger.error({ err: String(err) }, 'the embedded agent stopped');
      reject(err);
    });
    worker.once('exit', (code) => reject(new Error(`the embedded agent exited (${code}) before it started`)));
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  return {
    agentId: config.agentId,
    async stop(drainMs = 5_000) {
      const msg: ToAgentWorker = { t: 'stop', drainMs, message: 'The server was shut down before this job finished.' };
      worker.postMessage(msg);
      await Promise.race([stoppedOnce, exited]);
      await terminate(worker, exited);
    },
  };
}

async function startOnThisThread(config: EmbeddedAgentConfig, logger: Logger, outputSink: OutputSink | undefined): Promise<EmbeddedAgent> {
  const { Agent, agentExecutor } = await import('../agent/agent.ts');
  const { executor, reason } = await agentExecutor({ workDir: config.workDir, dockerOnHost: config.dockerOnHost });
  logger.info({ executors: executor.kinds }, reason);
  const agent = new Agent({ url: config.url, token: config.token, agentId: config.agentId, concurrency: config.concurrency, executor, logger, checkoutFromOrigin: config.checkoutFromOrigin, outputSink });
  const running = agent.start().catch((err: unknown) => logger.error({ err: String(err) }, 'the embedded agent stopped'));
  return {
    agentId: config.agentId,
    async stop(drainMs = 5_000) {
      await agent.stop({ drainMs, message: 'The server was shut down before this job finished.' }).catch(() => undefined);
      await running;
    },
  };
}

/** Ends the worker once it has stopped (its port closed), or at once if it hangs. */
async function terminate(worker: Worker, exited: Promise<void>): Promise<void> {
  const timer = setTimeout(() => void worker.terminate(), 1_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The embedded agent's runner token: kept in `<dataDir>/agent-token` (mode 0600) and reused
 * across restarts while the database still knows it, so tokens do not pile up.
 */
export async function embeddedToken(database: Database, dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'agent-token');
  try {
    const saved = fs.readFileSync(file, 'utf8').trim();
    if (saved && (await findRunnerToken(database.db, saved))) return saved;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = await createRunnerToken(database.db, EMBEDDED_TOKEN_NAME);
  await recordAudit(database.db, { id: null, login: null, source: 'server' }, { action: 'runner_token.created', target: { type: 'runner_token', name: EMBEDDED_TOKEN_NAME } });
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}
