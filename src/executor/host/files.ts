// A host job's files: paths resolved against its $HOME, then plain node:fs. Apart from
// resolvePath (pure), every function takes an absolute path. Imported as a namespace:
// `onHost.writeFile(...)`.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FileEntry } from '../types.ts';

/** `~` and `~/...` are below `home`; other relative paths are resolved against `base` (default `home`). Pure. */
export function resolvePath(home: string, p: string, base?: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return path.resolve(base ?? home, p);
}

export async function writeFile(abs: string, data: string, mode: number): Promise<void> {
  await fs.promises.mkdir(path.dirname(abs), { recursive: true });
  await fs.promises.writeFile(abs, data, { mode });
  await fs.promises.chmod(abs, mode);
}

export async function readFile(abs: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(abs, 'utf8');
  } catch {
    return undefined;
  }
}

export async function mkdir(abs: string): Promise<void> {
  await fs.promises.mkdir(abs, { recursive: true });
}

/** `abs` (followed if a symlink) and everything below it (symlinks not followed), in sorted order. */
export async function listFiles(abs: string): Promise<FileEntry[]> {
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
  await visit(abs, true);
  return out;
}

export async function realPath(abs: string): Promise<string | undefined> {
  return fs.promises.realpath(abs).catch(() => undefined);
}

export async function readStream(abs: string): Promise<Readable | undefined> {
  const st = await fs.promises.stat(abs).catch(() => undefined);
  return st?.isFile() ? fs.createReadStream(abs) : undefined;
}
