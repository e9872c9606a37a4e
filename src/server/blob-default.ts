// The blob store an instance has when none is configured: files under the data dir with
// SQLite, chunked rows in the database with PostgreSQL. Apart from blob-config.ts (which also
// opens S3) so that an instance on these stores, a local run's included, never loads the S3 SDK.
import path from 'node:path';
import { FileBlobStore, type BlobStore } from '../storage/blob-store.ts';
import { DbBlobStore } from '../storage/blob-store-db.ts';
import type { Database } from '../storage/db.ts';

export type DatabaseBlobKind = 'filesystem' | 'postgres';

/** Filesystem (under `<dataDir>/blobs`) or PostgreSQL rows; by default the one the database's dialect implies. */
export function defaultBlobStore(database: Database, dataDir: string, kind: DatabaseBlobKind = database.dialect === 'postgres' ? 'postgres' : 'filesystem'): BlobStore {
  if (kind === 'filesystem') return new FileBlobStore(path.join(dataDir, 'blobs'));
  if (database.dialect !== 'postgres') throw new Error('the postgres blob store needs a PostgreSQL database (--database-url)');
  return new DbBlobStore(database.db, undefined, 'postgres');
}
