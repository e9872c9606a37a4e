// The host executor: runs a job's commands directly on this machine, each job in a fresh
// directory with its own $HOME, each command in its own process group (so a kill reaches
// every child). Runs `machine` jobs, and `docker` jobs when told to map images to the host.
//
// This class is the one entry point (the docker executor extends it); its parts live in host/:
// the workspace, its environment and the sweep of dead agents' workspaces (workspace.ts),
// process groups and how they are ended (groups.ts), one command (exec.ts), files (files.ts)
// and tar archives (tar.ts).
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { ExecOptions, Executor, FileEntry, JobSpec, RunningCommand, TarExport, Workspace } from './types.ts';
import { runScript, type Tracked } from './host/exec.ts';
import * as onHost from './host/files.ts';
import { endGroups } from './host/groups.ts';
import { exportTar, importTar } from './host/tar.ts';
import { createWorkspace, removeWorkspace, sweepWorkDir } from './host/workspace.ts';

export { processAlive } from './host/groups.ts';
export { jobTmpDir } from './host/workspace.ts';

export interface HostExecutorOptions {
  /** Where job workspaces are created (one directory per job run). */
  workDir: string;
  /** Run `docker` jobs on the host, ignoring their images. */
  dockerOnHost?: boolean;
  /** Remove workspaces when jobs end (default true). */
  cleanup?: boolean;
}

export function hostKinds(dockerOnHost: boolean, platform: NodeJS.Platform = process.platform): string[] {
  const kinds = ['machine'];
  if (dockerOnHost) kinds.push('docker');
  if (platform === 'darwin') kinds.push('macos');
  if (platform === 'win32') kinds.push('windows');
  return kinds;
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
    const ws = await createWorkspace(this.opts.workDir, spec, this.defaultShell);
    this.tracked.set(spec.id, { groups: new Set(), scripts: 0 });
    return ws;
  }

  exec(ws: Workspace, opts: ExecOptions): RunningCommand {
    return runScript(ws.internalDir, this.track(ws), opts);
  }

  resolvePath(ws: Workspace, p: string, base?: string): string {
    return onHost.resolvePath(ws.home, p, base);
  }

  async writeFile(ws: Workspace, p: string, data: string, mode = 0o644): Promise<void> {
    await onHost.writeFile(this.resolvePath(ws, p), data, mode);
  }

  async readFile(ws: Workspace, p: string): Promise<string | undefined> {
    return onHost.readFile(this.resolvePath(ws, p));
  }

  async mkdir(ws: Workspace, p: string): Promise<void> {
    await onHost.mkdir(this.resolvePath(ws, p));
  }

  async listFiles(ws: Workspace, p: string): Promise<FileEntry[]> {
    return onHost.listFiles(this.resolvePath(ws, p));
  }

  async realPath(ws: Workspace, p: string): Promise<string | undefined> {
    return onHost.realPath(this.resolvePath(ws, p));
  }

  async readStream(ws: Workspace, p: string): Promise<Readable | undefined> {
    return onHost.readStream(this.resolvePath(ws, p));
  }

  /** The system tar (GNU or bsdtar): `tar -c` of the paths that exist, streamed from stdout. */
  async exportTar(ws: Workspace, cwd: string, paths: string[]): Promise<TarExport> {
    return exportTar(this.resolvePath(ws, cwd), paths);
  }

  async importTar(ws: Workspace, archive: Readable, dir: string): Promise<void> {
    await importTar(this.resolvePath(ws, dir), archive);
  }

  async killAll(ws: Workspace, graceMs = 500): Promise<void> {
    const t = this.tracked.get(ws.id);
    if (!t) return;
    await endGroups(t.groups, graceMs);
  }

  async cleanup(ws: Workspace): Promise<void> {
    await this.killAll(ws, 200);
    this.tracked.delete(ws.id);
    if (this.opts.cleanup !== false) await removeWorkspace(ws.root);
  }

  /**
   * Removes workspaces left behind by an agent that died (SIGKILL, crash, power loss) and
   * ends the processes they still run: on Linux, every process whose environment names the
   * workspace. Workspaces of live agents sharing the work dir are left alone. Returns how many
   * workspaces were removed.
   */
  async sweep(): Promise<number> {
    return sweepWorkDir(this.opts.workDir, () => this.tracked.keys());
  }

  private track(ws: Workspace): Tracked {
    let t = this.tracked.get(ws.id);
    if (!t) this.tracked.set(ws.id, (t = { groups: new Set(), scripts: 0 }));
    return t;
  }
}
