import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openAndMigrate } from '../../src/storage/db.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { migrationsFingerprint, openFromTemplate } from '../../src/storage/schema-template.ts';
import { ensureUser } from '../../src/storage/users.ts';
import { tempDir } from '../helpers/databases.ts';

const dirs: string[] = [];
const dir = () => {
  const d = tempDir('circlet-template-');
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** The schema as SQLite keeps it (every table, index and trigger's SQL) and the migrations recorded. */
function schemaOf(file: string): { schema: string[]; applied: string[] } {
  const db = new Sqlite(file, { readonly: true });
  try {
    const schema = (db.prepare("select type, name, sql from sqlite_master where name not like 'sqlite_%' order by type, name").all() as { type: string; name: string; sql: string | null }[]).map((r) => `${r.type} ${r.name}: ${r.sql ?? ''}`);
    const applied = (db.prepare('select name from circlet_migrations order by name').all() as { name: string }[]).map((r) => r.name);
    return { schema, applied };
  } finally {
    db.close();
  }
}

describe('a store from the schema template', () => {
  it('has the schema every migration gives, and later stores are copies of one template', async () => {
    const templates = dir();
    const work = dir();
    const migrated = await openAndMigrate(path.join(work, 'migrated.db'));
    await migrated.close();

    const first = await openFromTemplate(path.join(work, 'a.db'), templates);
    await ensureUser(first.db, 'alice', 'Alice');
    await first.close();
    const template = path.join(templates, `schema-${migrationsFingerprint()}.db`);
    expect(fs.readdirSync(templates)).toEqual([path.basename(template)]);
    const built = fs.statSync(template);

    const second = await openFromTemplate(path.join(work, 'b.db'), templates);
    try {
      // Its own database: the first store's user is not in it.
      expect(await second.db.selectFrom('users').select('login').execute()).toEqual([]);
      // Thrown away after use: never synced to disk (0 is OFF; a server's store is NORMAL, 1).
      expect((await sql<{ synchronous: number }>`pragma synchronous`.execute(second.db)).rows).toEqual([{ synchronous: 0 }]);
    } finally {
      await second.close();
    }
    expect(fs.statSync(template).mtimeMs).toBe(built.mtimeMs);
    expect(fs.statSync(template).ino).toBe(built.ino);

    const expected = schemaOf(path.join(work, 'migrated.db'));
    expect(expected.applied).toEqual(Object.keys(migrations).sort());
    expect(schemaOf(path.join(work, 'a.db'))).toEqual(expected);
    expect(schemaOf(path.join(work, 'b.db'))).toEqual(expected);
  });

  it('a damaged template is dropped and the store migrated from nothing; templates of other migrations are removed', async () => {
    const templates = dir();
    const work = dir();
    const template = path.join(templates, `schema-${migrationsFingerprint()}.db`);
    fs.writeFileSync(template, 'not a database');
    const store = await openFromTemplate(path.join(work, 'a.db'), templates);
    try {
      expect(await store.db.selectFrom('users').select('login').execute()).toEqual([]);
      expect((await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db)).rows).toEqual([{ synchronous: 0 }]);
    } finally {
      await store.close();
    }
    expect(schemaOf(path.join(work, 'a.db')).applied).toEqual(Object.keys(migrations).sort());
    expect(fs.existsSync(template)).toBe(false);

    fs.writeFileSync(path.join(templates, 'schema-0123456789abcdef.db'), 'an older circlet');
    await (await openFromTemplate(path.join(work, 'b.db'), templates)).close();
    expect(fs.readdirSync(templates)).toEqual([path.basename(template)]);
  });
});
