// Runner scope (issue 18 items 4 and 5): self-hosted resource classes belong to one
// organization, and a claimed task carries the hash of its task credential and the runner
// token that claimed it.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('resource_classes')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('tasks').addColumn('credential_hash', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('runner_token_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tasks').dropColumn('runner_token_id').execute();
  await db.schema.alterTable('tasks').dropColumn('credential_hash').execute();
  await db.schema.dropTable('resource_classes').execute();
}
