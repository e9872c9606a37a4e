// Tar archives of a host job's files (caches, workspaces), through the system tar (GNU or
// bsdtar) with a minimal environment.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { TarExport } from '../types.ts';

function tarEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };
}

/** `tar -c` in `base` of the `paths` that exist, streamed from stdout. */
export async function exportTar(base: string, paths: string[]): Promise<TarExport> {
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

/** `tar -x` of `archive` into `abs` (created first). */
export async function importTar(abs: string, archive: Readable): Promise<void> {
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
