// The one handle every storage function takes first: the database's Kysely instance or an
// open transaction (a transaction is a Kysely too, so a function never cares which).
import { PostgresAdapter, type Kysely } from 'kysely';
import type { Schema } from './schema.ts';

export type Db = Kysely<Schema>;

/**
 * A statement whose SQL text starts with this is prepared once per PostgreSQL connection and
 * then only executed (db.ts): no parse and plan per call. For the few hottest statements,
 * whose planning costs more than running them (the claim: ~1 ms planned, ~0.3 ms run).
 * SQLite ignores it (its statements are cached by text anyway).
 */
export const SERVER_PREPARED = '/* server-prepared */ ';

/** True on PostgreSQL (row locks, `any(...)`), false on SQLite. */
export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Callbacks to run when a transaction opened by `inTransaction` has ended. */
const ending = new WeakMap<Db, (() => void)[]>();

/** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  let trx: Db | undefined;
  try {
    return await db.transaction().execute((t) => {
      trx = t;
      return fn(t);
    });
  } finally {
    const callbacks = trx && ending.get(trx);
    if (callbacks) for (const f of callbacks) f();
  }
}

/**
 * Runs `fn` when the transaction `db` is has ended (committed or rolled back); nothing when
 * `db` is not a transaction, or is one not opened by `inTransaction`.
 */
export function afterTransaction(db: Db, fn: () => void): void {
  if (!db.isTransaction) return;
  const callbacks = ending.get(db);
  if (callbacks) callbacks.push(fn);
  else ending.set(db, [fn]);
}
