// Blobs (artifacts, caches, workspace layers) behind one interface with three
// implementations: files under a directory (here; the SQLite default), chunked rows in the
// database (blob-store-db.ts; the PostgreSQL default) and S3-compatible object storage
// (blob-store-s3.ts). One contract suite runs against all three (test/storage/blob-store.test.ts).
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
  /** Deletes one blob; deleting an absent key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * A URL that serves the blob without the server for `seconds` (a presigned GET), with the
   * given content type; undefined when the store cannot make one.
   */
  downloadUrl?(key: string, seconds: number, contentType?: string): Promise<string | undefined>;
  /** Removes what failed uploads left behind before `before` (ISO time); returns how many pieces. */
  sweepOrphans?(before: string): Promise<number>;
  /** What the store is, for logs and /readyz-style reports (`filesystem /var/…`, `s3 bucket/prefix`). */
  readonly description: string;
}

/** The kinds of blob store a server can be configured with. */
export const BLOB_STORE_KINDS = ['filesystem', 'postgres', 's3'] as const;
export type BlobStoreKind = (typeof BLOB_STORE_KINDS)[number];

const SAFE_KEY = /^[A-Za-z0-9._/-]+$/;

/** Throws on a key that is not relative, plain path segments of [A-Za-z0-9._-]. */
export function checkKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split('/').some((s) => s === '..' || s === '.' || s === '')) throw new Error(`invalid blob key: ${key}`);
}

/** Blobs as files under a directory; writes go to a temp file and are renamed into place. */
export class FileBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  get description(): string {
    return `filesystem ${this.root}`;
  }

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

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.file(key), { force: true });
  }
}
