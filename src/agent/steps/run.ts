// `run` (and its deprecated alias `deploy`): a shell command with its own name,
// environment, working directory, shell, background flag and no-output timeout.
import type { RunStep } from '../../config/compiled.ts';
import { parseDuration, splitShell, type StepContext, type StepOutcome } from './types.ts';

export const DEFAULT_NO_OUTPUT_TIMEOUT_MS = 10 * 60_000;

function firstLine(s: string): string {
  const line = s.trim().split('\n')[0] ?? '';
  return line.length > 200 ? line.slice(0, 197) + '...' : line;
}

/** A run step without `name` is called by its command's first line. */
export function runTitle(step: RunStep): string {
  return firstLine(step.command) || step.kind;
}

export async function run(ctx: StepContext, step: RunStep): Promise<StepOutcome> {
  const { command, shell, working_directory: wd } = step;
  const timeout = step.no_output_timeout === undefined ? DEFAULT_NO_OUTPUT_TIMEOUT_MS : parseDuration(step.no_output_timeout);
  if (timeout === undefined) {
    ctx.log(`circlet: invalid no_output_timeout ${JSON.stringify(step.no_output_timeout)} (use e.g. 10m, 30s, 1h)\n`);
    return { status: 'failed', exitCode: null };
  }
  return ctx.runCommand({
    script: command.endsWith('\n') ? command : command + '\n',
    shell: shell ? splitShell(shell) : undefined,
    cwd: wd ? ctx.executor.resolvePath(ctx.ws, wd, ctx.workingDirectory) : undefined,
    env: step.environment,
    noOutputTimeoutMs: timeout,
  });
}
