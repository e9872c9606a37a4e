// The executor interface: where a job's steps run. The agent drives one job through it:
// prepare a fresh workspace, run commands in their own process groups, write files,
// kill, clean up. Implementations: host (this machine); docker comes later and must pass
// the same contract suite (test/executor/contract.ts).
import type { Readable } from 'node:stream';
import type { JobExecutor } from '../config/compiled.ts';

/** What an executor needs to know to set a job up. */
export interface JobSpec {
  /** Unique per job run (the task id); names the workspace. */
  id: string;
  /** The compiled job's executor: docker (with its images) | machine | macos | windows. */
  executor: JobExecutor;
  /** The compiled job's resource class (`medium` when the config gives none). */
  resourceClass: string;
  /** Files to install, executable, into the workspace's bin dir (on PATH): name → content. */
  tools?: Record<string, string>;
}

export interface Workspace {
  id: string;
  /** The job's private root: everything of the job lives below it. */
  root: string;
  /** $HOME for the job's commands (`~` in paths). */
  home: string;
  /** Prepended to PATH: the job's own tools (the `circleci` helper). */
  binDir: string;
  /** Scratch space for the agent (step scripts, keys, markers); not the job's working dir. */
  internalDir: string;
  /** The environment every command starts from (PATH, HOME, USER, LANG ...), before the job's. */
  baseEnv: Record<string, string>;
  /** The shell used when neither job nor step says: e.g. ['/bin/bash', '-eo', 'pipefail']. */
  defaultShell: string[];
  /** Notes for the job's output (how the executor was set up). */
  notes: string[];
}

export interface ExecOptions {
  /** The script to run (written to a file and given to the shell as its argument). */
  script: string;
  /** The shell and its flags; the script file path is appended. */
  shell: string[];
  /** Absolute working directory; created when missing. */
  cwd: string;
  /** The complete environment. */
  env: Record<string, string>;
  onOutput(stream: 'out' | 'err', data: Buffer): void;
}

export interface ExitStatus {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: string | null;
}

export interface RunningCommand {
  readonly pid: number;
  /** Resolves when the command's process exited and its output was read. */
  readonly exited: Promise<ExitStatus>;
  /** Signals the command's whole process group. */
  kill(signal?: NodeJS.Signals): void;
}

/** One entry of `listFiles`. */
export interface FileEntry {
  /** Absolute. */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
}

/** A tar archive being written by `exportTar`. */
export interface TarExport {
  /** The archive bytes; ends only when tar succeeded, errors when it failed. */
  stream: Readable;
  /** The requested paths that did not exist (left out of the archive). */
  missing: string[];
  /** The requested paths in the archive. */
  included: string[];
}

export interface Executor {
  /** The executor kinds this executor runs (advertised when claiming). */
  readonly kinds: readonly string[];
  prepare(spec: JobSpec): Promise<Workspace>;
  /** Starts a command in a new process group. Spawn errors surface as exit code 127 with a message on stderr. */
  exec(ws: Workspace, opts: ExecOptions): RunningCommand;
  /** Expands `~` and makes `p` absolute (relative paths are relative to `base`, default home). */
  resolvePath(ws: Workspace, p: string, base?: string): string;
  writeFile(ws: Workspace, path: string, data: string, mode?: number): Promise<void>;
  readFile(ws: Workspace, path: string): Promise<string | undefined>;
  mkdir(ws: Workspace, path: string): Promise<void>;
  /** `path` itself and everything below it (directories recursively; symlinks below `path` not followed); [] when missing. */
  listFiles(ws: Workspace, path: string): Promise<FileEntry[]>;
  /** `path` with every symbolic link resolved (as realpath); undefined when it does not exist. */
  realPath(ws: Workspace, path: string): Promise<string | undefined>;
  /** The bytes of a regular file; undefined when it is not one. */
  readStream(ws: Workspace, path: string): Promise<Readable | undefined>;
  /** Streams a tar archive of `paths` (relative to the absolute `cwd`); missing paths are left out. */
  exportTar(ws: Workspace, cwd: string, paths: string[]): Promise<TarExport>;
  /** Extracts a tar archive into the absolute `dir` (created when missing), over what is there. */
  importTar(ws: Workspace, archive: Readable, dir: string): Promise<void>;
  /** Kills every process the workspace still runs (SIGTERM, then SIGKILL after `graceMs`). */
  killAll(ws: Workspace, graceMs?: number): Promise<void>;
  /** Kills what is left and removes the workspace. */
  cleanup(ws: Workspace): Promise<void>;
  /** Removes what agents that died left behind (workspaces, processes); optional. */
  sweep?(): Promise<number>;
}
