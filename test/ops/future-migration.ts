// Marks a database as migrated by a future circlet: one more row in circlet_migrations.
import { sql } from 'kysely';
import type { Database } from '../../src/storage/db.ts';

export async function recordFutureMigration(database: Database, name: string): Promise<void> {
  await sql`insert into circlet_migrations (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(database.db);
}
