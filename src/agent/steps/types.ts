// What a step gets and gives back. Each step type is a function of the context and its typed step
// (config/compiled.ts); steps/index.ts dispatches on `step.kind`. The context has everything a
// step may touch (the executor, the job's environment, output); a step returns how it ended.
import type { Executor, Workspace } from '../../executor/types.ts';
import type { RunnerClient, StepStatus, TaskPayload, TaskSecrets } from '../client.ts';

export interface StepOutcome {
  status: StepStatus;
  exitCode: number | null;
}

export interface CommandOptions {
  script: string;
  /** Default: the job's shell. */
  shell?: string[];
  /** Absolute; default: the job's working directory. */
  cwd?: string;
  /** Added on top of the job's environment. */
  env?: Record<string, string>;
  /** Kill the command and time the step out after this long without output; 0 = never. */
  noOutputTimeoutMs?: number;
}

export interface StepContext {
  readonly executor: Executor;
  readonly ws: Workspace;
  readonly payload: TaskPayload;
  readonly secrets: TaskSecrets;
  readonly client: RunnerClient;
  /** Where `checkout` fetches from: the server's mirror of the project, or its origin URL. */
  readonly checkoutFrom: 'server' | 'origin';
  /** The job's working directory (absolute). */
  readonly workingDirectory: string;
  /** The job's shell (`shell:` or the executor's default), split into argv. */
  readonly shell: string[];
  /** The job's environment (everything but step-level variables). */
  readonly env: Record<string, string>;
  /** Aborted when the job is canceled or its lease is lost. */
  readonly signal: AbortSignal;
  /** Writes a line (or more) to the step's output (masked like command output). */
  log(text: string): void;
  /** The same, on the step's error stream. */
  logError(text: string): void;
  /** Runs a command in the executor with the step's output, cancellation and timeouts. */
  runCommand(opts: CommandOptions): Promise<StepOutcome>;
}

/** `shell: /bin/bash -eo pipefail` → argv (whitespace-separated, simple quotes honoured). */
export function splitShell(s: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** CircleCI durations: `10m`, `1h30m`, `90s`, `1.5h`, or plain seconds. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return v * 1000;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed += m[0].length;
  }
  return consumed === s.length ? total : undefined;
}

export function formatDuration(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
