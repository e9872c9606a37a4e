// A host job's workspace: one directory per job run under the work dir (home, bin, internal)
// plus a short $TMPDIR outside it; the job's base environment; and the sweep that removes
// what an agent that died left behind.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobSpec, Workspace } from '../types.ts';
import { killMarked, killRecordedGroups, processAlive } from './groups.ts';

/** Variables of the agent's own environment a job inherits; nothing else leaks (tokens ...). */
const INHERITED = ['PATH', 'USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'SHELL', 'DOCKER_HOST'];

/** Which agent process owns a workspace (internal/agent.pid). */
const OWNER_FILE = 'agent.pid';

/** The workspace directory's name for a job id (below the work dir). Pure. */
export function workspaceName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_');
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

/** Creates a fresh workspace for `spec` under `workDir` (removing a previous one), owned by this process. */
export async function createWorkspace(workDir: string, spec: JobSpec, defaultShell: string[]): Promise<Workspace> {
  const root = path.join(path.resolve(workDir), workspaceName(spec.id));
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
  // what its predecessor left running (sweepWorkDir()).
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
  return { id: spec.id, root, home, binDir, internalDir, baseEnv, defaultShell, notes };
}

/** Removes a workspace's directory and its $TMPDIR; errors are ignored. */
export async function removeWorkspace(root: string): Promise<void> {
  await fs.promises.rm(root, { recursive: true, force: true }).catch(() => undefined);
  await fs.promises.rm(jobTmpDir(root), { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Removes workspaces left behind by an agent that died (SIGKILL, crash, power loss) and
 * ends the processes they still run: their recorded process groups and, on Linux, every
 * process whose environment names the workspace. Workspaces of live agents sharing the work
 * dir, and this agent's own (the job ids `ids()` returns once the directory is read), are left
 * alone. Returns how many workspaces were removed.
 */
export async function sweepWorkDir(workDir: string, ids: () => Iterable<string>): Promise<number> {
  const root = path.resolve(workDir);
  let names: string[];
  try {
    names = await fs.promises.readdir(root);
  } catch {
    return 0;
  }
  const mine = new Set([...ids()].map(workspaceName));
  let removed = 0;
  for (const name of names) {
    if (mine.has(name)) continue;
    const dir = path.join(root, name);
    const owner = Number((await fs.promises.readFile(path.join(dir, 'internal', OWNER_FILE), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(owner) || owner <= 0) continue; // not a workspace of ours
    if (owner !== process.pid && processAlive(owner)) continue; // a live agent's
    await killRecordedGroups(dir);
    await killMarked(dir);
    await removeWorkspace(dir);
    removed++;
  }
  return removed;
}
