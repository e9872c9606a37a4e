// `run` (and its deprecated alias `deploy`): a shell command with its own name,
// environment, working directory, shell, background flag and no-output timeout.
import { envFrom } from '../env.ts';
import { parseDuration, splitShell, str, type StepContext, type StepModule, type StepOutcome } from './types.ts';

export const DEFAULT_NO_OUTPUT_TIMEOUT_MS = 10 * 60_000;

function firstLine(s: string): string {
  const line = s.trim().split('\n')[0] ?? '';
  return line.length > 200 ? line.slice(0, 197) + '...' : line;
}

export function runStep(type: 'run' | 'deploy'): StepModule {
  return {
    type,
    displayName: (args) => firstLine(str(args.command) ?? type) || type,
    async run(ctx: StepContext, args: Record<string, unknown>): Promise<StepOutcome> {
      const command = str(args.command) ?? '';
      const shellArg = str(args.shell);
      const wd = str(args.working_directory);
      const timeout = args.no_output_timeout === undefined ? DEFAULT_NO_OUTPUT_TIMEOUT_MS : parseDuration(args.no_output_timeout);
      if (timeout === undefined) {
        ctx.log(`circlet: invalid no_output_timeout ${JSON.stringify(args.no_output_timeout)} (use e.g. 10m, 30s, 1h)\n`);
        return { status: 'failed', exitCode: null };
      }
      return ctx.runCommand({
        script: command.endsWith('\n') ? command : command + '\n',
        shell: shellArg ? splitShell(shellArg) : undefined,
        cwd: wd ? ctx.executor.resolvePath(ctx.ws, wd, ctx.workingDirectory) : undefined,
        env: envFrom(args.environment),
        noOutputTimeoutMs: timeout,
      });
    },
  };
}
