// What outlives one local run, per repository: caches (blobs and their index) and test
// timings, under `$XDG_CACHE_HOME/circlet/runs/<repo-key>/` (default `~/.cache`). The
// run's store is thrown away; these are imported into it at start and exported at the end.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../storage/blob-store.ts';

export type { SavedCache, SavedTiming } from '../storage/local-run.ts';
import type { SavedCache, SavedTiming } from '../storage/local-run.ts';

export function cacheHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'circlet');
}

/** A stable project id for a repository: the same across runs, so cache blob keys stay valid. */
export function projectIdFor(root: string): string {
  const h = crypto.createHash('sha256').update(fs.realpathSync(root)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function readJson<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value));
  fs.renameSync(tmp, file);
}

export class LocalState {
  readonly dir: string;

  constructor(
    readonly projectId: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.dir = path.join(cacheHome(env), 'runs', projectId);
  }

  get blobsDir(): string {
    return path.join(this.dir, 'blobs');
  }

  caches(): SavedCache[] {
    return readJson<SavedCache[]>(path.join(this.dir, 'caches.json'), []).filter((c) => fs.existsSync(path.join(this.blobsDir, c.blob_key)));
  }

  saveCaches(caches: SavedCache[]): void {
    writeJson(path.join(this.dir, 'caches.json'), caches);
  }

  clearCaches(): void {
    fs.rmSync(path.join(this.dir, 'caches.json'), { force: true });
    fs.rmSync(path.join(this.blobsDir, 'caches'), { recursive: true, force: true });
  }

  timings(): SavedTiming[] {
    return readJson<SavedTiming[]>(path.join(this.dir, 'timings.json'), []);
  }

  /** Newer timings replace older ones of the same test; at most `limit` kept. */
  addTimings(newer: SavedTiming[], limit = 20_000): void {
    const key = (t: SavedTiming) => `${t.job}\0${t.file}\0${t.classname}\0${t.name}`;
    const seen = new Set(newer.map(key));
    const merged = [...newer, ...this.timings().filter((t) => !seen.has(key(t)))].slice(0, limit);
    writeJson(path.join(this.dir, 'timings.json'), merged);
  }
}

/** Caches go to the repository's persistent store, everything else to the run's own. */
export class RoutedBlobStore implements BlobStore {
  constructor(
    private readonly caches: BlobStore,
    private readonly rest: BlobStore,
  ) {}

  private pick(key: string): BlobStore {
    return key.startsWith('caches/') ? this.caches : this.rest;
  }

  put(key: string, body: Readable): Promise<number> {
    return this.pick(key).put(key, body);
  }

  get(key: string): Promise<{ body: Readable; size: number } | undefined> {
    return this.pick(key).get(key);
  }

  deletePrefix(prefix: string): Promise<void> {
    return this.pick(prefix).deletePrefix(prefix);
  }

  delete(key: string): Promise<void> {
    return this.pick(key).delete(key);
  }

  get description(): string {
    return `caches: ${this.caches.description}; rest: ${this.rest.description}`;
  }
}
