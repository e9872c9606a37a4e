// Operations (issue 19): self-hosted resource classes get an id and a description (the
// runner API v3 names them by id), and a table of rate-limit windows shared by every
// replica on one database.
import type { Kysely } from 'kysely';
import { newId } from '../../domain/clock.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('resource_classes').addColumn('id', 'text').execute();
  await db.schema.alterTable('resource_classes').addColumn('description', 'text', (c) => c.notNull().defaultTo('')).execute();
  // Existing classes get a UUID, as every other id.
  const rows = await db.selectFrom('resource_classes').select('name').execute();
  for (const r of rows as { name: string }[]) {
    await db.updateTable('resource_classes').set({ id: newId() }).where('name', '=', r.name).execute();
  }
  await db.schema.createIndex('resource_classes_id').unique().on('resource_classes').column('id').execute();
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    // Epoch milliseconds: the window's end (a bigint on PostgreSQL).
    .addColumn('reset_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rate_limits_reset').on('rate_limits').column('reset_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
