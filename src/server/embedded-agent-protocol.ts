// Messages between the server and its embedded agent's worker thread (embedded-agent.ts).
import type { OutputAnswer, OutputMessage } from './embedded-output.ts';

/** What the worker is started with (its `workerData.data`). */
export interface EmbeddedAgentConfig {
  url: string;
  token: string;
  agentId: string;
  concurrency: number;
  workDir: string;
  dockerOnHost?: boolean;
  /** `checkout` fetches from the project's URL instead of the server's /git (agent.ts). */
  checkoutFromOrigin?: boolean;
  /** Step output goes to the server's thread over the worker's port, not over HTTP (embedded-output.ts). */
  outputOverPort?: boolean;
}

export type ToAgentWorker = { t: 'stop'; drainMs: number; message: string } | OutputAnswer;

export type FromAgentWorker =
  | { t: 'log'; level: 'info' | 'warn' | 'error'; obj: object; msg?: string }
  | { t: 'started' }
  | { t: 'failed'; message: string }
  | { t: 'stopped' }
  | { t: 'boot-failed'; message: string }
  | OutputMessage;
