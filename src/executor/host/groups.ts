// A host job's processes: each command runs in its own process group, recorded on disk
// (`internal/process-groups`) so that an agent started after this one died can still end it;
// on Linux every job process also carries CIRCLET_WORKSPACE=<root> in its environment, which
// finds the ones that left their group.
import fs from 'node:fs';
import path from 'node:path';

const GROUPS_FILE = 'process-groups';

/** Signals a process group; false when the group is gone (signal 0 only asks). */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/** Whether a process with this pid exists (shared with the docker executor's sweep). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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
export function recordGroup(internalDir: string, pgid: number): void {
  try {
    fs.appendFileSync(path.join(internalDir, GROUPS_FILE), `${pgid} ${startTime(pgid) ?? '-'}\n`);
  } catch {
    /* the workspace is being removed */
  }
}

/** SIGKILLs the recorded groups of a dead agent's workspace whose leader is still the same process. */
export async function killRecordedGroups(root: string): Promise<void> {
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

/** Linux: SIGKILLs every process whose environment has CIRCLET_WORKSPACE=<root>. */
export async function killMarked(root: string): Promise<void> {
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

/**
 * Ends a live agent's groups: SIGTERM, then SIGKILL for those still there after `graceMs`;
 * forgets (deletes from `groups`) the ones that are gone.
 */
export async function endGroups(groups: Set<number>, graceMs: number): Promise<void> {
  const alive = [...groups].filter((g) => signalGroup(g, 'SIGTERM'));
  const end = Date.now() + graceMs;
  let left = alive;
  while (left.length > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    left = left.filter((g) => signalGroup(g, 0));
  }
  for (const g of left) signalGroup(g, 'SIGKILL');
  for (const g of groups) if (!signalGroup(g, 0)) groups.delete(g);
}
