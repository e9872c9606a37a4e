// Blobs as chunked rows in the database (tables blob_objects, blob_chunks): replicas that
// share a PostgreSQL database share their blobs with no object store. Streamed both ways:
// an upload is written a chunk at a time under a fresh upload id and becomes visible when
// its blob_objects row is inserted; a download reads one chunk per query as the reader
// pulls. Neither side holds more than a chunk or two in memory.
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { checkKey, type BlobStore } from './blob-store.ts';
import type { Db } from './executor.ts';

/** 1 MiB rows: few enough round trips, small enough for the pool's memory. */
export const DB_BLOB_CHUNK = 1024 * 1024;

function keyPrefix(prefix: string) {
  return sql<string>`substr(${sql.ref('key')}, 1, ${prefix.length})`;
}

export class DbBlobStore implements BlobStore {
  constructor(
    private readonly db: Db,
    private readonly chunkSize = DB_BLOB_CHUNK,
    private readonly label = 'database',
  ) {}

  get description(): string {
    return `${this.label} (chunked rows)`;
  }

  async put(key: string, body: Readable): Promise<number> {
    checkKey(key);
    const uploadId = crypto.randomUUID();
    const at = new Date().toISOString();
    let n = 0;
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (all: boolean) => {
      while (pendingBytes >= this.chunkSize || (all && pendingBytes > 0)) {
        const joined = Buffer.concat(pending, pendingBytes);
        const data = joined.subarray(0, Math.min(this.chunkSize, joined.length));
        const rest = joined.subarray(data.length);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
        await this.db.insertInto('blob_chunks').values({ upload_id: uploadId, n: n++, data: Buffer.from(data), created_at: at }).execute();
      }
    };
    try {
      for await (const piece of body) {
        const buf = typeof piece === 'string' ? Buffer.from(piece) : (piece as Buffer);
        pending.push(buf);
        pendingBytes += buf.length;
        size += buf.length;
        // Reading pauses while a chunk is written: back-pressure, not buffering.
        if (pendingBytes >= this.chunkSize) await flush(false);
      }
      await flush(true);
      await this.db
        .insertInto('blob_objects')
        .values({ key, upload_id: uploadId, size, created_at: at })
        .onConflict((oc) => oc.column('key').doUpdateSet({ upload_id: uploadId, size, created_at: at }))
        .execute();
    } catch (err) {
      body.destroy();
      await this.db.deleteFrom('blob_chunks').where('upload_id', '=', uploadId).execute().catch(() => undefined);
      throw err;
    }
    return size;
  }

  async get(key: string): Promise<{ body: Readable; size: number } | undefined> {
    checkKey(key);
    const row = await this.db.selectFrom('blob_objects').select(['upload_id', 'size']).where('key', '=', key).executeTakeFirst();
    if (!row) return undefined;
    const db = this.db;
    const uploadId = row.upload_id;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let n = 0; ; n++) {
        const c = await db.selectFrom('blob_chunks').select('data').where('upload_id', '=', uploadId).where('n', '=', n).executeTakeFirst();
        if (!c) return;
        yield Buffer.isBuffer(c.data) ? c.data : Buffer.from(c.data as Uint8Array);
      }
    }
    return { body: Readable.from(chunks(), { objectMode: false }), size: Number(row.size) };
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    const gone = await this.db.deleteFrom('blob_objects').where('key', '=', key).returning('upload_id').execute();
    for (const g of gone) await this.db.deleteFrom('blob_chunks').where('upload_id', '=', g.upload_id).execute();
  }

  async deletePrefix(prefix: string): Promise<void> {
    checkKey(prefix.replace(/\/$/, ''));
    // A prefix without its slash names one key or a folder, never a sibling (`a/b` is not `a/bc`).
    const folder = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const gone = await this.db
      .deleteFrom('blob_objects')
      .where((eb) => eb.or([eb(keyPrefix(folder), '=', folder), eb('key', '=', prefix)]))
      .returning('upload_id')
      .execute();
    for (const g of gone) await this.db.deleteFrom('blob_chunks').where('upload_id', '=', g.upload_id).execute();
  }

  /** Removes chunks that no blob owns and that are older than `before` (uploads cut off by a crash). */
  async sweepOrphans(before: string): Promise<number> {
    const res = await this.db
      .deleteFrom('blob_chunks')
      .where('created_at', '<', before)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('blob_objects').select('key').whereRef('blob_objects.upload_id', '=', 'blob_chunks.upload_id'))))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
