// Usage export jobs (CircleCI's Usage API): an organization's request for its job usage in a
// date range, built in the background into gzipped CSV files in the blob store. A job is
// claimed with a lease (`lease_until`), so one left `processing` by a server that died is
// taken up again once the lease lapses.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('usage_exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('start_at', 'text', (c) => c.notNull())
    .addColumn('end_at', 'text', (c) => c.notNull())
    /** JSON: the organization ids whose usage it covers (the requester's first). */
    .addColumn('organization_ids', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('file_count', 'integer', (c) => c.notNull())
    .addColumn('row_count', 'integer', (c) => c.notNull())
    .addColumn('error_reason', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('usage_exports_pending').on('usage_exports').columns(['state', 'lease_until']).execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
