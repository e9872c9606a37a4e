// Rate-limit windows shared by every replica on one database (http/rate-limit.ts): one row
// per key, counting requests until the window ends (epoch ms).
import type { Db } from './executor.ts';

/** Counts one request for `key`: a new window when none is open at `nowMs`. Returns the count and the window's end. */
export async function countRequest(db: Db, key: string, windowMs: number, nowMs: number): Promise<{ count: number; resetAt: number }> {
  const row = await db
    .insertInto('rate_limits')
    .values({ key, count: 1, reset_at: nowMs + windowMs })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => {
        const expired = eb('rate_limits.reset_at', '<=', nowMs);
        return {
          count: eb.case().when(expired).then(1).else(eb('rate_limits.count', '+', 1)).end(),
          reset_at: eb.case().when(expired).then(nowMs + windowMs).else(eb.ref('rate_limits.reset_at')).end(),
        };
      }),
    )
    .returning(['count', 'reset_at'])
    .executeTakeFirstOrThrow();
  return { count: Number(row.count), resetAt: Number(row.reset_at) };
}

/** Deletes windows that ended before `nowMs`; returns how many. */
export async function pruneRequestWindows(db: Db, nowMs: number): Promise<number> {
  const r = await db.deleteFrom('rate_limits').where('reset_at', '<', nowMs).executeTakeFirst();
  return Number(r.numDeletedRows);
}
