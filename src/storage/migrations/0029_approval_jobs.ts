// Approval jobs by workflow: a partial index over the jobs of type 'approval'. Insights' page of
// a workflow's runs (getProjectWorkflowRuns) tells which runs have an approval job; each run's
// count was a lookup in jobs_workflow, an index over every job ever run, and read each of the
// run's jobs to test its type: on PostgreSQL the page touched 175 buffers with 10k runs kept and
// 231 with 100k. Approval jobs are few, so this index stays shallow, and a page of runs is one
// lookup of its ids in it. Readers name the type as a literal (SQLite considers a partial index
// only for a query whose terms, as written, imply its condition; its planner may still take the
// covering jobs_insights_workflow, one (workflow_id, type) range per id).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('jobs_approval_workflow').on('jobs').column('workflow_id').where(sql.ref('type'), '=', sql.lit('approval')).execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
