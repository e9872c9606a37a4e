// Commands in a docker job's primary container, each a `docker exec`: the agent's own (collected
// output, e.g. `id -u`, `cat`, `tar`) and a step's (its script from the workspace, run in its
// working directory with its environment and shell, output streamed, killable). A step's
// processes carry a marker in their environment, by which kill() and killAll() find them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecOptions, ExitStatus, RunningCommand, Workspace } from '../types.ts';
import type { JobContainers } from './containers.ts';

/** How long a command's output may stay open after its process exited (children holding it). */
const OUTPUT_GRACE_MS = 1_000;

/** Runs a command in the job's working directory; 127 with a message when the shell is missing. */
const WRAP = [
  'mkdir -p -- "$1" 2>/dev/null; cd -- "$1" || exit 1; shift',
  'if [ ! -x "$1" ] && ! command -v "$1" >/dev/null 2>&1; then echo "circlet: could not start $1: not found" >&2; exit 127; fi',
  'exec "$@"',
].join('\n');

/** Signals every process of the container whose environment holds the marker `$1` (TERM, then KILL after `$3` ms; or just `$2`). */
const KILL = [
  'm=$1; sig=$2; grace=$3',
  'pids() { for p in /proc/[0-9]*; do tr "\\0" "\\n" < "$p/environ" 2>/dev/null | grep -qxF -- "$m" && echo "${p#/proc/}"; done; }',
  'l=$(pids); [ -n "$l" ] || exit 0',
  'kill -s "$sig" $l 2>/dev/null',
  '[ "$sig" = TERM ] && [ "$grace" -gt 0 ] || exit 0',
  'i=0; while [ $i -lt "$grace" ] && [ -n "$(pids)" ]; do sleep 0.05; i=$((i + 50)); done',
  'l=$(pids); [ -n "$l" ] && kill -s KILL $l 2>/dev/null; exit 0',
].join('\n');

/** Runs a command in the primary container and collects its output. */
export async function capture(docker: Docker, job: JobContainers, cmd: string[], opts: { user?: string; stdout?: Writable } = {}): Promise<{ code: number; out: string; err: string }> {
  const exec = await job.primary.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: opts.user });
  const stream = await exec.start({ hijack: true, stdin: false });
  let out = '';
  let err = '';
  const outW = opts.stdout ?? new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
  const errW = new Writable({ write: (c: Buffer, _e, cb) => ((err += c.toString()), cb()) });
  docker.modem.demuxStream(stream, outW, errW);
  await new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', reject);
  });
  const st = await exec.inspect();
  return { code: st.ExitCode ?? -1, out, err };
}

/** Signals the container's processes carrying `marker` in their environment. */
export function signalMarked(docker: Docker, job: JobContainers, marker: string, signal: string, graceMs = 0): Promise<unknown> {
  return capture(docker, job, ['sh', '-c', KILL, 'kill', marker, signal, String(graceMs)], { user: '0' }).catch(() => undefined);
}

/**
 * Runs a step's command in the primary container (the Executor's `exec`). The script is
 * written to the workspace's internal dir and handed to `fixOwner` before it runs.
 */
export function runCommand(docker: Docker, job: JobContainers, ws: Workspace, opts: ExecOptions, fixOwner: (p: string) => Promise<void>): RunningCommand {
  const n = ++job.execs;
  const script = path.join(ws.internalDir, `script-d${n}`);
  const marker = `CIRCLET_EXEC=${ws.id}-${n}`;
  let killedWith: NodeJS.Signals | undefined;
  let started = false;
  const out = (s: 'out' | 'err') => new Writable({ write: (c: Buffer, _e, cb) => (opts.onOutput(s, c), cb()) });
  const exited = (async (): Promise<ExitStatus> => {
    try {
      await fs.promises.writeFile(script, opts.script, { mode: 0o700 });
      await fixOwner(script);
      const env = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
      env.push(marker);
      const exec = await job.primary.exec({ Cmd: ['/bin/sh', '-c', WRAP, 'circlet', opts.cwd, ...opts.shell, script], Env: env, AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      started = true;
      if (killedWith) void signalMarked(docker, job, marker, killedWith.replace(/^SIG/, ''));
      docker.modem.demuxStream(stream, out('out'), out('err'));
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        let finished = false;
        const done = () => {
          finished = true;
          clearTimeout(timer);
          resolve();
        };
        stream.once('end', done);
        stream.once('close', done);
        stream.once('error', done);
        // A process left behind may hold the output open: once the command itself exited,
        // stop waiting soon (but keep reading, so that process is not cut off).
        const poll = async () => {
          const st = await exec.inspect().catch(() => undefined);
          if (finished) return;
          if (st && !st.Running) timer = setTimeout(done, OUTPUT_GRACE_MS);
          else timer = setTimeout(() => void poll(), 250);
        };
        timer = setTimeout(() => void poll(), 250);
      });
      const st = await exec.inspect();
      const code = st.ExitCode ?? null;
      if (killedWith && (code === null || code >= 128)) {
        const sig = Object.entries(os.constants.signals).find(([, v]) => code !== null && v === code - 128)?.[0] ?? killedWith;
        return { code: null, signal: sig };
      }
      return { code, signal: null };
    } catch (err) {
      opts.onOutput('err', Buffer.from(`circlet: could not start ${opts.shell.join(' ')}: ${err instanceof Error ? err.message : String(err)}\n`));
      return { code: 127, signal: null };
    }
  })();
  return {
    pid: -1,
    exited,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => {
      killedWith = signal;
      if (started) void signalMarked(docker, job, marker, signal.replace(/^SIG/, ''));
    },
  };
}
