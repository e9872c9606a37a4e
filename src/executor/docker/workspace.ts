// A docker job's workspace as its containers see it: bind-mounted at the same path, so a path
// within it means the same on both sides; what the host (running as root) writes there is
// handed to the container user, as images such as cimg/* run as a non-root user.
import fs from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../types.ts';
import type { JobContainers } from './containers.ts';

/** Whether `p` is `root` or below it. Pure. */
export function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root + path.sep);
}

/** Makes what the host wrote below `p` the container user's (non-root images); nothing when `job` is undefined. */
export async function fixOwner(job: JobContainers | undefined, ws: Workspace, p: string): Promise<void> {
  if (!job || !within(ws.root, p) || typeof process.getuid !== 'function' || process.getuid() !== 0 || job.uid === 0) return;
  const visit = async (abs: string): Promise<void> => {
    const st = await fs.promises.lstat(abs).catch(() => undefined);
    if (!st) return;
    await fs.promises.lchown(abs, job.uid, job.gid).catch(() => undefined);
    if (st.isDirectory()) for (const n of await fs.promises.readdir(abs).catch(() => [] as string[])) await visit(path.join(abs, n));
  };
  await visit(p);
}
