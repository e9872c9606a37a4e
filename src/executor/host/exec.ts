// One command of a host job: its script written to the workspace's internal dir and run by
// the job's shell in a process group of its own (detached), so a kill reaches every child.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ExecOptions, ExitStatus, RunningCommand } from '../types.ts';
import { recordGroup, signalGroup } from './groups.ts';

/** How long a command's output may stay open after its process exited (children holding it). */
const OUTPUT_GRACE_MS = 1_000;

/** What the host executor keeps per workspace. */
export interface Tracked {
  /** Process group ids this workspace started (a group may outlive its leader). */
  groups: Set<number>;
  scripts: number;
}

/** Starts `opts.script` (as `internal/script-<n>`); a spawn failure is exit code 127 with a message on stderr. */
export function runScript(internalDir: string, t: Tracked, opts: ExecOptions): RunningCommand {
  const script = path.join(internalDir, `script-${++t.scripts}`);
  let pid = -1;
  let child: ReturnType<typeof spawn> | undefined;
  let spawnError: Error | undefined;
  try {
    fs.writeFileSync(script, opts.script, { mode: 0o700 });
    fs.mkdirSync(opts.cwd, { recursive: true });
    const [file, ...args] = opts.shell;
    child = spawn(file!, [...args, script], { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    pid = child.pid ?? -1;
    if (pid > 0) {
      t.groups.add(pid);
      recordGroup(internalDir, pid);
    }
  } catch (err) {
    spawnError = err as Error;
  }
  const exited = new Promise<ExitStatus>((resolve) => {
    const fail = (err: Error) => {
      opts.onOutput('err', Buffer.from(`circlet: could not start ${opts.shell.join(' ')}: ${err.message}\n`));
      resolve({ code: 127, signal: null });
    };
    if (!child || spawnError) return fail(spawnError ?? new Error('spawn failed'));
    const c = child;
    c.stdout!.on('data', (d: Buffer) => opts.onOutput('out', d));
    c.stderr!.on('data', (d: Buffer) => opts.onOutput('err', d));
    let done = false;
    let status: ExitStatus | undefined;
    const finish = () => {
      if (done || !status) return;
      done = true;
      resolve(status);
    };
    c.once('error', (err) => {
      if (status) return;
      done = true;
      fail(err);
    });
    c.once('exit', (code, signal) => {
      status = { code, signal };
      // Children that inherited the output pipes may keep them open: stop waiting soon, but
      // keep reading (a closed pipe would kill a background server with SIGPIPE).
      setTimeout(finish, OUTPUT_GRACE_MS).unref();
    });
    c.once('close', (code, signal) => {
      status ??= { code, signal };
      finish();
    });
  });
  return {
    pid,
    exited,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => {
      if (pid > 0) signalGroup(pid, signal);
    },
  };
}
