// Open jobs: a partial index over jobs that are queued or running, so the lease reaper can
// find, every few seconds, jobs whose tasks have all ended but which were never advanced (a
// replica killed between recording a task's result and advancing its workflow) without
// scanning every job ever run.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('jobs_open').on('jobs').column('id').where(sql.ref('status'), 'in', sql`('queued', 'running')`).execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
