// Dependency caches of a project: immutable once saved, restored by key prefix.
import { sql } from 'kysely';
import type { Db } from './executor.ts';
import type { CachesTable } from './schema.ts';

export type Cache = CachesTable;

/** Records a saved cache; returns false when the key already exists (never overwritten). */
export async function insertCache(db: Db, row: Cache): Promise<boolean> {
  const res = await db
    .insertInto('caches')
    .values(row)
    .onConflict((oc) => oc.columns(['project_id', 'key']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function cacheExists(db: Db, projectId: string, key: string): Promise<boolean> {
  return (await db.selectFrom('caches').select('key').where('project_id', '=', projectId).where('key', '=', key).executeTakeFirst()) !== undefined;
}

/** The newest cache whose key starts with `prefix` (compared exactly, not as a pattern). */
export async function newestCacheWithPrefix(db: Db, projectId: string, prefix: string): Promise<Cache | undefined> {
  return db
    .selectFrom('caches')
    .selectAll()
    .where('project_id', '=', projectId)
    .where(sql<string>`substr(${sql.ref('key')}, 1, ${prefix.length})`, '=', prefix)
    .orderBy('created_at', 'desc')
    .orderBy('key', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function deleteCaches(db: Db, projectId: string): Promise<Cache[]> {
  return db.deleteFrom('caches').where('project_id', '=', projectId).returningAll().execute();
}
