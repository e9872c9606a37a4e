// Scheduled pipelines (CircleCI's Schedule API): a project's schedules with their timetable,
// parameters and attribution. `next_run_at` is the next due time; the scheduler claims a
// run by moving it forward with a compare-and-set, so each run triggers once across replicas.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('timetable', 'text', (c) => c.notNull())
    .addColumn('parameters', 'text', (c) => c.notNull())
    .addColumn('attribution_actor', 'text', (c) => c.notNull())
    .addColumn('actor_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('next_run_at', 'text')
    .addColumn('last_claimed_run_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('schedules_project').on('schedules').columns(['project_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('schedules_due').on('schedules').columns(['next_run_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
