// Lookups every API call makes (the project a slug names, for a member of its organization),
// kept in this process's memory for a few seconds, as the token cache does for tokens
// (http/auth.ts): answered from memory, a hot project costs no query per request.
//
// Freshness: a write through storage here (deleting or changing a project, removing a member,
// deleting an organization) forgets every entry at once, again when its transaction ends (so
// a read that raced the write and kept the old row is dropped too), and an entry read while
// such a write was under way is not kept. A change made by another process (a second
// replica, the CLI) is seen within `READ_CACHE_TTL_MS` (docs/compatibility.md). Only found
// rows are kept: a project created or a member added is seen at once. Reads inside a
// transaction always go to the database.
import { TtlCache } from '../domain/ttl-cache.ts';
import { afterTransaction, type Db } from './executor.ts';

export const READ_CACHE_TTL_MS = 5_000;

/** One cache per database (keyed by its adapter, which its transactions share). */
const caches = new WeakMap<object, TtlCache<object>>();
/** Bumped by every invalidation: a read that saw it change while in flight keeps nothing. */
let generation = 0;

function cacheOf(db: Db): TtlCache<object> {
  const key = db.getExecutor().adapter;
  let cache = caches.get(key);
  if (!cache) caches.set(key, (cache = new TtlCache<object>(READ_CACHE_TTL_MS, 10_000)));
  return cache;
}

/** `read()`'s row for `key`, from memory when it was read in the last few seconds (frozen: shared between callers). */
export async function cachedRead<T extends object>(db: Db, key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
  if (db.isTransaction) return read();
  const cache = cacheOf(db);
  const hit = cache.get(key);
  if (hit) return hit as T;
  const seen = generation;
  const row = await read();
  if (row !== undefined && seen === generation) cache.set(key, Object.freeze(row));
  return row;
}

/** The row cachedRead holds for `key`, if it holds one (none inside a transaction): no promise, no read. */
export function peekCachedRead<T extends object>(db: Db, key: string): T | undefined {
  if (db.isTransaction) return undefined;
  return cacheOf(db).get(key) as T | undefined;
}

/**
 * Forgets every cached read: called by the storage functions that change projects,
 * organizations or memberships, now and once more when the caller's transaction ends.
 */
export function invalidateCachedReads(db: Db): void {
  const forget = () => {
    generation++;
    caches.get(db.getExecutor().adapter)?.clear();
  };
  forget();
  afterTransaction(db, forget);
}
