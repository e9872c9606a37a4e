// A new SQLite database with the schema already in place, for a throw-away store (`circlet
// run`): the migrations run once into a template file kept in a cache folder, keyed by a hash
// of the migrations (their names and code), and every later store is a copy of that file.
// Copying a file costs a millisecond; running twenty migrations costs a few hundred. The copy
// is then opened with openAndMigrate as any database is, so a stale or foreign template can
// only cost time, never give a store the wrong schema.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { openAndMigrate, type Database } from './db.ts';
import { migrations } from './migrations/index.ts';

const PREFIX = 'schema-';

/** The hash of every migration's name and code: what a template's schema was built from. */
export function migrationsFingerprint(): string {
  const h = crypto.createHash('sha256');
  for (const [name, m] of Object.entries(migrations)) h.update(`${name}\0${String(m.up)}\0${String(m.down ?? '')}\0`);
  return h.digest('hex').slice(0, 16);
}

/** Makes the template in `dir` (migrated, closed so its WAL is folded in, then renamed into place). */
async function buildTemplate(file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const database = await openAndMigrate(tmp);
  await database.close();
  fs.renameSync(tmp, file);
  // Templates of other migration sets (an older or newer circlet) are of no further use.
  for (const name of fs.readdirSync(path.dirname(file))) {
    if (name.startsWith(PREFIX) && name !== path.basename(file) && !name.endsWith('.tmp')) fs.rmSync(path.join(path.dirname(file), name), { force: true });
  }
}

/**
 * A throw-away store is never synced to disk (`synchronous = OFF`; the server's stores are
 * NORMAL): it is removed when the run ends, and a crash loses nothing a later run reads. The
 * fsync of the WAL checkpoint on close alone took 15 ms on an idle disk, over 100 on a busy one.
 */
async function throwAway(database: Database): Promise<Database> {
  await sql`pragma synchronous = OFF`.execute(database.db);
  return database;
}

/**
 * Opens a new SQLite database at `file`, a copy of the template in `templateDir` (built first
 * when there is none for these migrations), for a store thrown away after use. If the copy
 * does not open and migrate, the template is dropped and the database is migrated from nothing.
 */
export async function openFromTemplate(file: string, templateDir: string): Promise<Database> {
  const template = path.join(templateDir, `${PREFIX}${migrationsFingerprint()}.db`);
  try {
    if (!fs.existsSync(template)) await buildTemplate(template);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(template, file);
    return await throwAway(await openAndMigrate(file));
  } catch {
    fs.rmSync(template, { force: true });
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    return throwAway(await openAndMigrate(file));
  }
}
