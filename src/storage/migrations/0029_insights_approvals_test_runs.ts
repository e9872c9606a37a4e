// Insights: approval jobs by workflow, and test results with their runs for flaky tests.
//
// jobs_approval_workflow: a partial index over the jobs of type 'approval'. Insights' page of a
// workflow's runs (getProjectWorkflowRuns) tells which runs have an approval job; each run's
// count was a lookup in jobs_insights_workflow, an index over every job ever run: on PostgreSQL
// the page touched 175 buffers with 10k runs kept and 231 with 100k. Approval jobs are few, so
// this index stays shallow, and a page of runs is one lookup of its ids in it. Readers name the
// type as a literal (SQLite considers a partial index only for a query whose terms, as written,
// imply its condition; its planner may still take the covering jobs_insights_workflow).
//
// insights_test_runs: each test result with what flaky tests report of its job, workflow and
// pipeline, by (project_id, created_at). Flaky tests read a project's last 14 days of results;
// each was then looked up by id in jobs, workflows and pipelines (three index descents a result,
// each deepening with the history: 3,855 buffers with 10k runs kept, 7,458 with 100k). Here the
// window is one index range. A trigger on test_results keeps it in the inserting transaction
// (once per statement on PostgreSQL, once per row on SQLite); a result without its job, workflow
// or pipeline gets no row, as the join left it out before. Rows go with their result (foreign
// key, on delete cascade). What it copies is fixed once a job has results (names, numbers,
// revision, creation times).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** The copied columns, of a test result `t` (a table alias, or NEW in a SQLite row trigger) and its job j, workflow w and pipeline p. */
const copy = (t: string) =>
  sql.raw(`SELECT ${t}.id, ${t}.project_id, ${t}.created_at, w.id, w.name, w.created_at, p.number, p.revision, j.name, j.number,
  ${t}.name, ${t}.classname, ${t}.file, ${t}.source, ${t}.result, ${t}.run_time`);
const WORKFLOW_AND_PIPELINE = sql.raw('JOIN workflows w ON w.id = j.workflow_id JOIN pipelines p ON p.id = w.pipeline_id');
const COLUMNS = sql.raw(`(test_id, project_id, created_at, workflow_id, workflow_name, workflow_created_at, pipeline_number, revision, job_name, job_number,
  name, classname, file, source, result, run_time)`);

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('jobs_approval_workflow').on('jobs').column('workflow_id').where(sql.ref('type'), '=', sql.lit('approval')).execute();

  await db.schema
    .createTable('insights_test_runs')
    .addColumn('test_id', 'text', (c) => c.primaryKey().references('test_results.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('workflow_name', 'text', (c) => c.notNull())
    .addColumn('workflow_created_at', 'text', (c) => c.notNull())
    .addColumn('pipeline_number', 'integer', (c) => c.notNull())
    .addColumn('revision', 'text')
    .addColumn('job_name', 'text', (c) => c.notNull())
    .addColumn('job_number', 'integer')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('classname', 'text', (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('run_time', 'real', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('insights_test_runs_window').on('insights_test_runs').columns(['project_id', 'created_at', 'test_id']).execute();

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`CREATE FUNCTION insights_test_runs_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN
      INSERT INTO insights_test_runs ${COLUMNS} ${copy('t')} FROM new_test_results t JOIN jobs j ON j.id = t.job_id ${WORKFLOW_AND_PIPELINE};
      RETURN NULL; END $fn$`.execute(db);
    await sql`CREATE TRIGGER insights_test_runs_ins AFTER INSERT ON test_results REFERENCING NEW TABLE AS new_test_results
      FOR EACH STATEMENT EXECUTE FUNCTION insights_test_runs_ins()`.execute(db);
  } else {
    await sql`CREATE TRIGGER insights_test_runs_ins AFTER INSERT ON test_results FOR EACH ROW BEGIN
      INSERT INTO insights_test_runs ${COLUMNS} ${copy('NEW')} FROM jobs j ${WORKFLOW_AND_PIPELINE} WHERE j.id = NEW.job_id; END`.execute(db);
  }

  // The history so far.
  await sql`INSERT INTO insights_test_runs ${COLUMNS} ${copy('t')} FROM test_results t JOIN jobs j ON j.id = t.job_id ${WORKFLOW_AND_PIPELINE}`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
