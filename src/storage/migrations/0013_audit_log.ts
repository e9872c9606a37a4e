// Audit log (issue 19): one row per security-relevant action — who, when, on what, and
// whether it succeeded. Names only: a value (env var, key, token) never goes in a row.
// No foreign keys: an event outlives the user, project or organization it names.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text')
    .addColumn('actor_id', 'text')
    .addColumn('actor_login', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('target_name', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('detail', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.createIndex('audit_events_org_time').on('audit_events').columns(['organization_id', 'occurred_at', 'id']).execute();
  await db.schema.createIndex('audit_events_time').on('audit_events').columns(['occurred_at', 'id']).execute();
  await db.schema.createIndex('audit_events_actor_time').on('audit_events').columns(['actor_id', 'occurred_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
