// The agent `circlet serve` starts by default: a regular runner agent with a runner token
// of its own, talking to this server over loopback (the same protocol as `circlet agent`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, agentExecutor } from '../agent/agent.ts';
import type { Logger } from '../agent/logger.ts';
import type { Database } from '../storage/db.ts';
import { createRunnerToken, findRunnerToken } from '../storage/runner-tokens.ts';

export const EMBEDDED_TOKEN_NAME = 'embedded agent (circlet serve)';

export interface EmbeddedAgent {
  agent: Agent;
  /** Drains: running jobs get `drainMs`, then are handed back as infrastructure_fail. */
  stop(drainMs?: number): Promise<void>;
}

export async function startEmbeddedAgent(opts: { database: Database; url: string; dataDir: string; concurrency: number; dockerOnHost?: boolean; logger: Logger }): Promise<EmbeddedAgent> {
  const token = await embeddedToken(opts.database, opts.dataDir);
  const { executor, reason } = await agentExecutor({ workDir: path.join(opts.dataDir, 'agent-work'), dockerOnHost: opts.dockerOnHost });
  opts.logger.info({ executors: executor.kinds }, reason);
  const agent = new Agent({
    url: opts.url,
    token,
    agentId: `embedded-${os.hostname()}-${process.pid}`,
    concurrency: opts.concurrency,
    executor,
    logger: opts.logger,
  });
  const running = agent.start().catch((err: unknown) => opts.logger.error({ err: String(err) }, 'the embedded agent stopped'));
  return {
    agent,
    async stop(drainMs = 5_000) {
      await agent.stop({ drainMs, message: 'The server was shut down before this job finished.' });
      await running;
    },
  };
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
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}
