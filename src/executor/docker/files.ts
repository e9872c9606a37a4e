// Files of a docker job outside its workspace (`working_directory: /app`, caches of
// `/usr/local/...`): read and written inside the primary container, through `docker exec`
// (sh, cat, find, readlink, tar). The workspace itself is bind-mounted at the same path, so
// the executor reads and writes it on the host; these are only the other paths, all absolute.
// Imported as a namespace: `inContainer.writeFile(...)`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { FileEntry, TarExport } from '../types.ts';
import type { JobContainers } from './containers.ts';
import { capture } from './exec.ts';

/** Writes `abs` by way of a file in the workspace's `internalDir` (handed to `fixOwner`), copied into place in the container. */
export async function writeFile(docker: Docker, job: JobContainers, internalDir: string, abs: string, data: string, mode: number, fixOwner: (p: string) => Promise<void>): Promise<void> {
  const tmp = path.join(internalDir, `file-${crypto.randomBytes(4).toString('hex')}`);
  await fs.promises.writeFile(tmp, data);
  await fixOwner(tmp);
  const r = await capture(docker, job, ['sh', '-c', 'mkdir -p -- "$(dirname -- "$2")" && cp -- "$1" "$2" && chmod "$3" "$2"', 'w', tmp, abs, mode.toString(8)]);
  await fs.promises.rm(tmp, { force: true });
  if (r.code !== 0) throw new Error(`could not write ${abs}: ${r.err.trim()}`);
}

export async function readFile(docker: Docker, job: JobContainers, abs: string): Promise<string | undefined> {
  const r = await capture(docker, job, ['cat', '--', abs]).catch(() => undefined);
  return r && r.code === 0 ? r.out : undefined;
}

export async function mkdir(docker: Docker, job: JobContainers, abs: string): Promise<void> {
  const r = await capture(docker, job, ['mkdir', '-p', '--', abs]);
  if (r.code !== 0) throw new Error(`could not create ${abs}: ${r.err.trim()}`);
}

/** `abs` and everything below it, in the order the host executor lists them (path components compared). */
export async function listFiles(docker: Docker, job: JobContainers, abs: string): Promise<FileEntry[]> {
  const r = await capture(docker, job, ['find', '-H', abs, '-printf', '%y\\t%s\\t%p\\0']);
  const types: Record<string, FileEntry['type']> = { f: 'file', d: 'dir', l: 'symlink' };
  const entries = r.out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [y, size, ...rest] = line.split('\t');
      const type = types[y!] ?? 'other';
      return { path: rest.join('\t'), type, size: type === 'file' ? Number(size) : 0 };
    });
  const parts = (x: string) => x.split('/');
  return entries.sort((a, b) => {
    const pa = parts(a.path);
    const pb = parts(b.path);
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
    return pa.length - pb.length;
  });
}

export async function realPath(docker: Docker, job: JobContainers, abs: string): Promise<string | undefined> {
  const r = await capture(docker, job, ['readlink', '-e', '--', abs]).catch(() => undefined);
  return r && r.code === 0 ? r.out.trim() : undefined;
}

export async function readStream(docker: Docker, job: JobContainers, abs: string): Promise<Readable | undefined> {
  if ((await capture(docker, job, ['test', '-f', abs])).code !== 0) return undefined;
  const stream = new PassThrough();
  capture(docker, job, ['cat', '--', abs], { stdout: stream }).then(
    (r) => (r.code === 0 ? stream.end() : stream.destroy(new Error(`could not read ${abs}: ${r.err.trim()}`))),
    (err: Error) => stream.destroy(err),
  );
  return stream;
}

/** A tar archive of `paths` (relative to the absolute `base`), made by tar in the container; missing paths are left out. */
export async function exportTar(docker: Docker, job: JobContainers, base: string, paths: string[]): Promise<TarExport> {
  const exists = await capture(docker, job, ['sh', '-c', 'cd -- "$1" 2>/dev/null || exit 0; shift; for p in "$@"; do if [ -e "$p" ] || [ -L "$p" ]; then echo 1; else echo 0; fi; done', 'x', base, ...paths]);
  const flags = exists.out.split('\n');
  const included = paths.filter((_p, i) => flags[i] === '1');
  const missing = paths.filter((_p, i) => flags[i] !== '1');
  const stream = new PassThrough();
  if (included.length === 0) {
    stream.end();
    return { stream, included, missing };
  }
  capture(docker, job, ['tar', '-c', '-f', '-', '-C', base, '--', ...included], { stdout: stream }).then(
    (r) => (r.code === 0 || r.code === 1 ? stream.end() : stream.destroy(new Error(`tar exited with code ${r.code}: ${r.err.trim()}`))),
    (err: Error) => stream.destroy(err),
  );
  return { stream, included, missing };
}
