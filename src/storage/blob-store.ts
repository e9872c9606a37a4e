// Blobs (artifacts, caches, workspace layers) behind one interface, so an S3-compatible
// store can follow the local-filesystem one.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

export interface BlobStore {
  /** Stores the stream under `key` (replacing nothing: callers use fresh keys); returns its size. */
  put(key: string, body: Readable): Promise<number>;
  /** A stream of the blob, or undefined when absent. */
  get(key: string): Promise<{ body: Readable; size: number } | undefined>;
  /** Deletes every blob whose key starts with `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
}

const SAFE_KEY = /^[A-Za-z0-9._/-]+$/;

function checkKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split('/').some((s) => s === '..' || s === '.' || s === '')) throw new Error(`invalid blob key: ${key}`);
}

/** Blobs as files under a directory; writes go to a temp file and are renamed into place. */
export class FileBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private file(key: string): string {
    checkKey(key);
    return path.join(this.root, key);
  }

  async put(key: string, body: Readable): Promise<number> {
    const target = this.file(key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    try {
      await pipeline(body, fs.createWriteStream(tmp));
      await fs.promises.rename(tmp, target);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    return (await fs.promises.stat(target)).size;
  }

  async get(key: string): Promise<{ body: Readable; size: number } | undefined> {
    const file = this.file(key);
    try {
      const stat = await fs.promises.stat(file);
      return { body: fs.createReadStream(file), size: stat.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    checkKey(prefix.replace(/\/$/, ''));
    await fs.promises.rm(path.join(this.root, prefix), { recursive: true, force: true });
  }
}
