// One command of a step, run in the job's workspace: its output streamed to the step's
// (masked) output, killed after `no_output_timeout` without output (timedout) or when the job
// is stopped (canceled), its exit told as a step outcome (a signal as 128 + its number).
import os from 'node:os';
import type { Executor, RunningCommand, Workspace } from '../executor/types.ts';
import type { StepStatus } from './client.ts';
import type { StepOutput } from './output.ts';
import { formatDuration, type CommandOptions, type StepOutcome } from './steps/types.ts';

/** Where and how a step's commands run: the job's workspace, environment and shell. */
export interface CommandSetting {
  executor: Executor;
  ws: Workspace;
  /** The job's environment (a command's own `env` goes on top). */
  env: Record<string, string>;
  /** The job's working directory (default cwd). */
  cwd: string;
  /** The job's shell (default shell). */
  shell: string[];
  out: StepOutput;
  /** Aborted when the job is stopped: the command is killed and the step canceled. */
  signal: AbortSignal;
}

function signalNumber(signal: string | null): number | null {
  if (!signal) return null;
  const n = (os.constants.signals as Record<string, number>)[signal];
  return n ? 128 + n : null;
}

export async function runCommand(setting: CommandSetting, o: CommandOptions): Promise<StepOutcome> {
  const { executor, ws, env: jobEnv, cwd: wd, shell, out, signal } = setting;
  if (signal.aborted) return { status: 'canceled', exitCode: null };
  let last = Date.now();
  const cmd: RunningCommand = executor.exec(ws, {
    script: o.script,
    shell: o.shell ?? shell,
    cwd: o.cwd ?? wd,
    env: o.env ? { ...jobEnv, ...o.env } : jobEnv,
    onOutput: (stream, data) => {
      last = Date.now();
      out.write(stream, data);
    },
  });
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const limit = o.noOutputTimeoutMs ?? 0;
  const arm = (ms: number) => {
    timer = setTimeout(() => {
      const idle = Date.now() - last;
      if (idle < limit) return arm(limit - idle);
      timedOut = true;
      out.write('err', `\nToo long with no output (exceeded ${formatDuration(limit)}): context deadline exceeded\n`);
      cmd.kill('SIGTERM');
      setTimeout(() => cmd.kill('SIGKILL'), 500).unref();
    }, ms);
  };
  if (limit > 0) arm(limit);
  const onAbort = () => {
    cmd.kill('SIGTERM');
    setTimeout(() => cmd.kill('SIGKILL'), 300).unref();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const st = await cmd.exited;
  if (timer) clearTimeout(timer);
  signal.removeEventListener('abort', onAbort);
  const exitCode = st.code ?? signalNumber(st.signal);
  let status: StepStatus = st.code === 0 ? 'success' : 'failed';
  if (timedOut) status = 'timedout';
  if (signal.aborted) status = 'canceled';
  if (status === 'failed') out.write('err', `\nExited with code ${exitCode ?? 'unknown'}${st.signal ? ` (${st.signal})` : ''}\n`);
  return { status, exitCode };
}
