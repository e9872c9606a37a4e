// The host executor: runs a job's commands directly on this machine, each job in a fresh
// directory with its own $HOME, each command in its own process group (so a kill reaches
// every child). Runs `machine` jobs, and `docker` jobs when told to map images to the host.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { ExecOptions, Executor, ExitStatus, FileEntry, JobSpec, RunningCommand, TarExport, Workspace } from './types.ts';

export interface HostExecutorOptions {
  /** Where job workspaces are created (one directory per job run). */
  workDir: string;
  /** Run `docker` jobs on the host, ignoring their images. */
  dockerOnHost?: boolean;
  /** Remove workspaces when jobs end (default true). */
  cleanup?: boolean;
}

/** Variables of the agent's own environment a job inherits; nothing else leaks (tokens ...). */
const INHERITED = ['PATH', 'USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'SHELL', 'DOCKER_HOST'];

/** How long a command's output may stay open after its process exited (children holding it). */
const OUTPUT_GRACE_MS = 1_000;

interface Tracked {
  /** Process group ids this workspace started (a group may outlive its leader). */
  groups: Set<number>;
  scripts: number;
}

function tarEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };
}

export function hostKinds(dockerOnHost: boolean, platform: NodeJS.Platform = process.platform): string[] {
  const kinds = ['machine'];
  if (dockerOnHost) kinds.push('docker');
  if (platform === 'darwin') kinds.push('macos');
  if (platform === 'win32') kinds.push('windows');
  return kinds;
}

/** Which agent process owns a workspace (internal/agent.pid). */
const OWNER_FILE = 'agent.pid';

/** Whether a process with this pid exists (shared with the docker executor's sweep). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux: SIGKILLs every process whose environment has CIRCLET_WORKSPACE=<root>. */
async function killMarked(root: string): Promise<void> {
  if (process.platform !== 'linux') return;
  const marker = Buffer.from(`CIRCLET_WORKSPACE=${root}\0`);
  let pids: string[];
  try {
    pids = (await fs.promises.readdir('/proc')).filter((p) => /^\d+$/.test(p));
  } catch {
    return;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    const env = await fs.promises.readFile(`/proc/${pid}/environ`).catch(() => undefined);
    if (!env) continue;
    const at = env.indexOf(marker);
    if (at === 0 || (at > 0 && env[at - 1] === 0)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

const GROUPS_FILE = 'process-groups';

/** Linux: a process's start time (clock ticks since boot), which tells a reused pid apart. */
function startTime(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Records a job's process group on disk (`internal/process-groups`: pgid and start time per
 * line), so an agent started after this one died can end the group even when its processes
 * dropped the CIRCLET_WORKSPACE marker from their environment.
 */
function recordGroup(internalDir: string, pgid: number): void {
  try {
    fs.appendFileSync(path.join(internalDir, GROUPS_FILE), `${pgid} ${startTime(pgid) ?? '-'}\n`);
  } catch {
    /* the workspace is being removed */
  }
}

/** SIGKILLs the recorded groups of a dead agent's workspace whose leader is still the same process. */
async function killRecordedGroups(root: string): Promise<void> {
  const text = await fs.promises.readFile(path.join(root, 'internal', GROUPS_FILE), 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [pgidText, started] = line.split(' ');
    const pgid = Number(pgidText);
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    // A leader that exited (or a pid now used by another process) is left to the marker scan.
    if (started === undefined || started === '-' || startTime(pgid) !== started) continue;
    signalGroup(pgid, 'SIGKILL');
  }
}

/**
 * The job's $TMPDIR: short and outside the workspace, because programs put Unix sockets there
 * (Chromium's singleton socket, ssh-agent, tmux) and a socket's path may not pass 107 bytes,
 * which `<work dir>/<task id>/tmp/...` soon does. Named from the workspace root, so prepare,
 * cleanup and a crashed agent's sweep all find it.
 */
export function jobTmpDir(root: string): string {
  return path.join(os.tmpdir(), `circlet-job-${crypto.createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

export class HostExecutor implements Executor {
  readonly kinds: readonly string[];
  private readonly tracked = new Map<string, Tracked>();
  private readonly defaultShell: string[];

  constructor(private readonly opts: HostExecutorOptions) {
    this.kinds = hostKinds(opts.dockerOnHost ?? false);
    this.defaultShell = fs.existsSync('/bin/bash') ? ['/bin/bash', '-eo', 'pipefail'] : ['/bin/sh', '-e'];
  }

  async prepare(spec: JobSpec): Promise<Workspace> {
    const root = path.join(path.resolve(this.opts.workDir), spec.id.replace(/[^A-Za-z0-9_.-]/g, '_'));
    await fs.promises.rm(root, { recursive: true, force: true });
    const home = path.join(root, 'home');
    const binDir = path.join(root, 'bin');
    const internalDir = path.join(root, 'internal');
    const tmp = jobTmpDir(root);
    await fs.promises.rm(tmp, { recursive: true, force: true });
    for (const d of [home, binDir, internalDir, tmp]) await fs.promises.mkdir(d, { recursive: true, mode: 0o700 });
    for (const [name, content] of Object.entries(spec.tools ?? {})) await fs.promises.writeFile(path.join(binDir, name), content, { mode: 0o755 });
    const baseEnv: Record<string, string> = {};
    for (const name of INHERITED) if (process.env[name] !== undefined) baseEnv[name] = process.env[name]!;
    baseEnv.PATH = [binDir, process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(path.delimiter);
    baseEnv.HOME = home;
    // Marks the job's processes, so that an agent restarted after a crash can find and end
    // what its predecessor left running (sweep()).
    baseEnv.CIRCLET_WORKSPACE = root;
    baseEnv.TMPDIR = tmp;
    baseEnv.USER ??= os.userInfo().username;
    const notes: string[] = [`Running on the host executor (${os.hostname()}, ${process.platform}/${process.arch}) in ${root}`];
    if (spec.executor.kind === 'docker') {
      const images = spec.executor.images.map((d) => d.image).filter(Boolean);
      notes.push(`Docker image${images.length === 1 ? '' : 's'} ${images.join(', ') || '(none)'} not used: this agent maps docker jobs to the host (--docker-on-host).`);
      if (images.length > 1) notes.push('Service containers (docker images after the first) are not started on the host executor.');
    }
    await fs.promises.writeFile(path.join(internalDir, OWNER_FILE), String(process.pid));
    this.tracked.set(spec.id, { groups: new Set(), scripts: 0 });
    return { id: spec.id, root, home, binDir, internalDir, baseEnv, defaultShell: this.defaultShell, notes };
  }

  exec(ws: Workspace, opts: ExecOptions): RunningCommand {
    const t = this.track(ws);
    const script = path.join(ws.internalDir, `script-${++t.scripts}`);
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
        recordGroup(ws.internalDir, pid);
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

  resolvePath(ws: Workspace, p: string, base?: string): string {
    if (p === '~') return ws.home;
    if (p.startsWith('~/')) return path.join(ws.home, p.slice(2));
    return path.resolve(base ?? ws.home, p);
  }

  async writeFile(ws: Workspace, p: string, data: string, mode = 0o644): Promise<void> {
    const abs = this.resolvePath(ws, p);
    await fs.promises.mkdir(path.dirname(abs), { recursive: true });
    await fs.promises.writeFile(abs, data, { mode });
    await fs.promises.chmod(abs, mode);
  }

  async readFile(ws: Workspace, p: string): Promise<string | undefined> {
    try {
      return await fs.promises.readFile(this.resolvePath(ws, p), 'utf8');
    } catch {
      return undefined;
    }
  }

  async mkdir(ws: Workspace, p: string): Promise<void> {
    await fs.promises.mkdir(this.resolvePath(ws, p), { recursive: true });
  }

  async listFiles(ws: Workspace, p: string): Promise<FileEntry[]> {
    const out: FileEntry[] = [];
    const visit = async (abs: string, top = false): Promise<void> => {
      let st: fs.Stats;
      try {
        st = await (top ? fs.promises.stat(abs) : fs.promises.lstat(abs));
      } catch {
        return;
      }
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
      out.push({ path: abs, type, size: st.isFile() ? st.size : 0 });
      if (type !== 'dir') return;
      const names = await fs.promises.readdir(abs).catch(() => [] as string[]);
      for (const name of names.sort()) await visit(path.join(abs, name));
    };
    await visit(this.resolvePath(ws, p), true);
    return out;
  }

  async realPath(ws: Workspace, p: string): Promise<string | undefined> {
    return fs.promises.realpath(this.resolvePath(ws, p)).catch(() => undefined);
  }

  async readStream(ws: Workspace, p: string): Promise<Readable | undefined> {
    const abs = this.resolvePath(ws, p);
    const st = await fs.promises.stat(abs).catch(() => undefined);
    return st?.isFile() ? fs.createReadStream(abs) : undefined;
  }

  /** The system tar (GNU or bsdtar): `tar -c` of the paths that exist, streamed from stdout. */
  async exportTar(ws: Workspace, cwd: string, paths: string[]): Promise<TarExport> {
    const base = this.resolvePath(ws, cwd);
    const included: string[] = [];
    const missing: string[] = [];
    for (const p of paths) ((await fs.promises.lstat(path.resolve(base, p)).catch(() => undefined)) ? included : missing).push(p);
    const stream = new PassThrough();
    if (included.length === 0) {
      stream.end();
      return { stream, included, missing };
    }
    const child = spawn('tar', ['-c', '-f', '-', '-C', base, '--', ...included], { env: tarEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.stdout.pipe(stream, { end: false });
    const fail = (err: Error) => stream.destroy(err);
    child.once('error', fail);
    child.once('close', (code) => {
      // GNU tar: 1 = some file changed while being read (archive complete), 2 = fatal.
      if (code === 0 || code === 1) stream.end();
      else fail(new Error(`tar exited with code ${code}: ${stderr.trim()}`));
    });
    stream.once('close', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    return { stream, included, missing };
  }

  async importTar(ws: Workspace, archive: Readable, dir: string): Promise<void> {
    const abs = this.resolvePath(ws, dir);
    await fs.promises.mkdir(abs, { recursive: true });
    await new Promise<void>((resolve, reject) => {
      const child = spawn('tar', ['-x', '-f', '-', '-C', abs], { env: tarEnv(), stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      let failed: Error | undefined;
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      child.stdin.on('error', () => undefined); // EPIPE when tar stops early: its exit code says why
      archive.once('error', (err) => {
        failed = err;
        child.kill('SIGKILL');
      });
      archive.pipe(child.stdin);
      child.once('error', reject);
      child.once('close', (code) => {
        if (failed) reject(failed);
        else if (code === 0) resolve();
        else reject(new Error(`tar exited with code ${code}: ${stderr.trim()}`));
      });
    });
  }

  async killAll(ws: Workspace, graceMs = 500): Promise<void> {
    const t = this.tracked.get(ws.id);
    if (!t) return;
    const alive = [...t.groups].filter((g) => signalGroup(g, 'SIGTERM'));
    const end = Date.now() + graceMs;
    let left = alive;
    while (left.length > 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      left = left.filter((g) => signalGroup(g, 0));
    }
    for (const g of left) signalGroup(g, 'SIGKILL');
    for (const g of t.groups) if (!signalGroup(g, 0)) t.groups.delete(g);
  }

  async cleanup(ws: Workspace): Promise<void> {
    await this.killAll(ws, 200);
    this.tracked.delete(ws.id);
    if (this.opts.cleanup !== false) {
      await fs.promises.rm(ws.root, { recursive: true, force: true }).catch(() => undefined);
      await fs.promises.rm(jobTmpDir(ws.root), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /**
   * Removes workspaces left behind by an agent that died (SIGKILL, crash, power loss) and
   * ends the processes they still run: on Linux, every process whose environment names the
   * workspace. Workspaces of live agents sharing the work dir are left alone. Returns how many
   * workspaces were removed.
   */
  async sweep(): Promise<number> {
    const root = path.resolve(this.opts.workDir);
    let names: string[];
    try {
      names = await fs.promises.readdir(root);
    } catch {
      return 0;
    }
    const mine = new Set([...this.tracked.keys()].map((id) => id.replace(/[^A-Za-z0-9_.-]/g, '_')));
    let removed = 0;
    for (const name of names) {
      if (mine.has(name)) continue;
      const dir = path.join(root, name);
      const owner = Number((await fs.promises.readFile(path.join(dir, 'internal', OWNER_FILE), 'utf8').catch(() => '')).trim());
      if (!Number.isInteger(owner) || owner <= 0) continue; // not a workspace of ours
      if (owner !== process.pid && processAlive(owner)) continue; // a live agent's
      await killRecordedGroups(dir);
      await killMarked(dir);
      await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      await fs.promises.rm(jobTmpDir(dir), { recursive: true, force: true }).catch(() => undefined);
      removed++;
    }
    return removed;
  }

  private track(ws: Workspace): Tracked {
    let t = this.tracked.get(ws.id);
    if (!t) this.tracked.set(ws.id, (t = { groups: new Set(), scripts: 0 }));
    return t;
  }
}
