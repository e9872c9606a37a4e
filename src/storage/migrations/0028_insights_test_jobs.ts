// Insights: the jobs that have test results (insights_test_jobs), by workflow. Test metrics read
// the results of a workflow's 10 newest runs; they looked up every job of those runs in
// test_results (100 index descents for 10 runs of 10 jobs), though most jobs store no tests, and
// each descent deepens as test_results grows: on PostgreSQL the call touched 377 buffers with
// 10k runs kept and 508 with 100k. With this table a run's jobs that have results are one range
// of its (workflow_id, job_id) index, and only those jobs are looked up in test_results.
// A trigger on test_results keeps it (whoever writes: the engine, a test, a bench), in the
// inserting transaction: once per statement on PostgreSQL (over its new rows), once per row on
// SQLite (an ignored insert when the job is already there). Its rows go with their job (foreign
// key, on delete cascade). A job whose results were deleted keeps its row: the lookup then finds
// nothing, the answer is the same.
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('insights_test_jobs')
    .addColumn('job_id', 'text', (c) => c.primaryKey().references('jobs.id').onDelete('cascade'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('insights_test_jobs_workflow').on('insights_test_jobs').columns(['workflow_id', 'job_id']).execute();

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // In job id order, so two transactions marking the same jobs wait for each other, not deadlock.
    await sql`CREATE FUNCTION insights_test_jobs_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN
      INSERT INTO insights_test_jobs (job_id, workflow_id)
        SELECT j.id, j.workflow_id FROM jobs j WHERE j.id IN (SELECT job_id FROM new_test_results) ORDER BY j.id
        ON CONFLICT (job_id) DO NOTHING;
      RETURN NULL; END $fn$`.execute(db);
    await sql`CREATE TRIGGER insights_test_jobs_ins AFTER INSERT ON test_results REFERENCING NEW TABLE AS new_test_results
      FOR EACH STATEMENT EXECUTE FUNCTION insights_test_jobs_ins()`.execute(db);
  } else {
    await sql`CREATE TRIGGER insights_test_jobs_ins AFTER INSERT ON test_results FOR EACH ROW BEGIN
      INSERT OR IGNORE INTO insights_test_jobs (job_id, workflow_id) SELECT id, workflow_id FROM jobs WHERE id = NEW.job_id; END`.execute(db);
  }

  // The history so far.
  await sql`INSERT INTO insights_test_jobs (job_id, workflow_id) SELECT j.id, j.workflow_id FROM jobs j WHERE j.id IN (SELECT job_id FROM test_results)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
