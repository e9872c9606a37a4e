// What a backup needs from the database: a consistent copy of a SQLite file while a server
// writes to it (SQLite's online backup API), the blobs the copy references, and what the
// copy is (migrations applied, pipeline count).
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import type { Db } from './executor.ts';

/**
 * Copies the SQLite database `source` to `dest` with the online backup API, in one step: the
 * copy is the database as of one read transaction, whatever the server writes meanwhile (in
 * WAL mode a reader does not block the writer). `dest` must not exist.
 */
export async function snapshotSqlite(source: string, dest: string): Promise<void> {
  const sqlite = new Sqlite(source, { fileMustExist: true });
  try {
    sqlite.pragma('busy_timeout = 5000');
    // Every page in one step: a step-by-step copy restarts whenever another connection
    // writes, and may never finish under a busy server.
    await sqlite.backup(dest, { progress: () => 0x7fffffff });
  } finally {
    sqlite.close();
  }
  // The copy keeps no WAL of its own: one self-contained file.
  const copy = new Sqlite(dest, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

/** True when the SQLite file passes `PRAGMA quick_check`. */
export function sqliteIntact(file: string): boolean {
  const sqlite = new Sqlite(file, { fileMustExist: true, readonly: true });
  try {
    return (sqlite.pragma('quick_check', { simple: true }) as string) === 'ok';
  } finally {
    sqlite.close();
  }
}

/** Every blob key the database references (artifacts, caches, workspace layers), distinct. */
export async function referencedBlobKeys(db: Db): Promise<string[]> {
  const [a, c, w] = await Promise.all([
    db.selectFrom('artifacts').select('blob_key').distinct().execute(),
    db.selectFrom('caches').select('blob_key').distinct().execute(),
    db.selectFrom('workspace_layers').select('blob_key').distinct().execute(),
  ]);
  return [...new Set([...a, ...c, ...w].map((r) => r.blob_key))].sort();
}

/** The names of the migrations applied to the database, in order. */
export async function appliedMigrations(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from circlet_migrations order by name`.execute(db);
  return rows.map((r) => r.name);
}

/** Rows of the tables a restore is checked against. */
export async function backupCounts(db: Db): Promise<{ pipelines: number; jobs: number; artifacts: number }> {
  const count = async (t: 'pipelines' | 'jobs' | 'artifacts') => Number((await db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { pipelines: await count('pipelines'), jobs: await count('jobs'), artifacts: await count('artifacts') };
}

/** True when the database has no circlet tables yet (a restore target). */
export async function databaseIsEmpty(db: Db): Promise<boolean> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  return tables.length === 0;
}
