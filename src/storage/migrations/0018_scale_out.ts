// Scale-out (issue 16): blobs in the database (chunked rows, for deployments whose replicas
// share PostgreSQL and no object store), per-project retention of job outputs, the claim
// that lets one replica sweep expired blobs per interval, and scheduled runs that another
// replica triggers when the one that claimed them died first.
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('blob_objects')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('upload_id', 'text', (c) => c.notNull())
    .addColumn('size', pg ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('blob_chunks')
    .addColumn('upload_id', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('data', pg ? sql`bytea` : 'blob', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_chunks_pk', ['upload_id', 'n'])
    .execute();

  await db.schema
    .createTable('project_retention')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('artifacts_days', 'integer')
    .addColumn('caches_days', 'integer')
    .addColumn('workspaces_days', 'integer')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sweeps')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('next_run_at', 'text', (c) => c.notNull())
    .addColumn('last_run_at', 'text')
    .addColumn('last_removed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('schedule_runs')
    .addColumn('schedule_id', 'text', (c) => c.notNull().references('schedules.id').onDelete('cascade'))
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('claim_token', 'text', (c) => c.notNull())
    .addColumn('claimed_until', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('pipeline_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('schedule_runs_pk', ['schedule_id', 'due_at'])
    .execute();
  await db.schema.createIndex('schedule_runs_open').on('schedule_runs').columns(['pipeline_id', 'claimed_until']).execute();
  await db.schema.createIndex('artifacts_created').on('artifacts').column('created_at').execute();
  await db.schema.createIndex('caches_created').on('caches').column('created_at').execute();
  await db.schema.createIndex('workspace_layers_created').on('workspace_layers').column('created_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
