// Which blob store a server uses. Configured by `--blob-store` or CIRCLET_BLOB_STORE
// (filesystem | postgres | s3); unset, it follows the database: files under the data dir
// with SQLite, chunked rows in the database with PostgreSQL (so replicas that share a
// database share their blobs with no further set-up). S3 settings: CIRCLET_S3_BUCKET,
// CIRCLET_S3_PREFIX, CIRCLET_S3_ENDPOINT, CIRCLET_S3_FORCE_PATH_STYLE=true, and the SDK's
// usual AWS_* variables for region and credentials.
import { BLOB_STORE_KINDS, type BlobStore, type BlobStoreKind } from '../storage/blob-store.ts';
import { S3BlobStore, type S3BlobStoreOptions } from '../storage/blob-store-s3.ts';
import type { Database } from '../storage/db.ts';
import { defaultBlobStore } from './blob-default.ts';

export interface BlobStoreConfig {
  kind?: BlobStoreKind;
  s3?: S3BlobStoreOptions;
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

/** The blob store settings the environment names (kind undefined: follow the database). */
export function blobConfigFromEnv(env: NodeJS.ProcessEnv = process.env, kindOption?: string): BlobStoreConfig {
  const raw = (kindOption ?? env.CIRCLET_BLOB_STORE ?? '').trim();
  if (raw !== '' && !(BLOB_STORE_KINDS as readonly string[]).includes(raw)) throw new Error(`invalid blob store '${raw}': must be one of ${BLOB_STORE_KINDS.join(', ')}`);
  const kind = raw === '' ? undefined : (raw as BlobStoreKind);
  if (kind !== 's3') return { kind };
  const bucket = env.CIRCLET_S3_BUCKET?.trim();
  if (!bucket) throw new Error('the s3 blob store needs CIRCLET_S3_BUCKET');
  return {
    kind,
    s3: {
      bucket,
      prefix: env.CIRCLET_S3_PREFIX?.trim() || undefined,
      endpoint: env.CIRCLET_S3_ENDPOINT?.trim() || undefined,
      forcePathStyle: isTrue(env.CIRCLET_S3_FORCE_PATH_STYLE),
      presign: env.CIRCLET_S3_PRESIGN === undefined ? true : isTrue(env.CIRCLET_S3_PRESIGN),
    },
  };
}

/** The store a configuration names, over this database and data dir. */
export function openBlobStore(config: BlobStoreConfig, database: Database, dataDir: string): BlobStore {
  if (config.kind !== 's3') return defaultBlobStore(database, dataDir, config.kind);
  if (!config.s3) throw new Error('the s3 blob store needs CIRCLET_S3_BUCKET');
  return new S3BlobStore(config.s3);
}
