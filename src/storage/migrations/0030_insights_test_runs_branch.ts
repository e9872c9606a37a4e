// Insights: test metrics read the results of a workflow's 10 newest runs (on a branch) from
// insights_test_runs in one index range. They looked up the runs' jobs that have results in
// insights_test_jobs, those jobs' results in test_results, and the jobs, workflows and pipelines
// by id: ten descents of five indexes that each deepen with the history (on PostgreSQL the call
// touched 148 buffers with 10k runs kept and 178 with 100k). insights_test_runs now holds its
// run's branch (the pipeline's, as insights_workflow_runs does), and its index by
// (project_id, workflow_name, branch, workflow_created_at) makes the runs' results one range:
// from the oldest of the runs to the newest, the workflow's runs on that branch, no other's
// (11 buffers with 10k runs kept and with 100k).
// The branch is copied by the insert trigger and follows its pipeline's (a trigger on pipelines,
// as migration 0019's insights_pipeline_upd). Workflow names and creation times it copied are
// fixed once a job has results (migration 0029).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** The copied columns, of a test result `t` (a table alias, or NEW in a SQLite row trigger) and its job j, workflow w and pipeline p. */
const copy = (t: string) =>
  sql.raw(`SELECT ${t}.id, ${t}.project_id, ${t}.created_at, w.id, w.name, w.created_at, p.number, p.revision, p.branch, j.name, j.number,
  ${t}.name, ${t}.classname, ${t}.file, ${t}.source, ${t}.result, ${t}.run_time`);
const WORKFLOW_AND_PIPELINE = sql.raw('JOIN workflows w ON w.id = j.workflow_id JOIN pipelines p ON p.id = w.pipeline_id');
const COLUMNS = sql.raw(`(test_id, project_id, created_at, workflow_id, workflow_name, workflow_created_at, pipeline_number, revision, branch, job_name, job_number,
  name, classname, file, source, result, run_time)`);
/** The rows of pipeline NEW's workflows whose branch matches `branchIs` (OLD's): each workflow is one lookup in the new index. */
const rowsOf = (branchIs: string) =>
  `test_id IN (SELECT t.test_id FROM workflows w JOIN insights_test_runs t ON t.project_id = w.project_id AND t.workflow_name = w.name
    AND ${branchIs} AND t.workflow_created_at = w.created_at AND t.workflow_id = w.id WHERE w.pipeline_id = NEW.id)`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('insights_test_runs').addColumn('branch', 'text').execute();
  // The history so far.
  await sql`UPDATE insights_test_runs SET branch = (SELECT p.branch FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id WHERE w.id = insights_test_runs.workflow_id)`.execute(db);
  await db.schema.createIndex('insights_test_runs_workflow').on('insights_test_runs').columns(['project_id', 'workflow_name', 'branch', 'workflow_created_at']).execute();

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`CREATE OR REPLACE FUNCTION insights_test_runs_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN
      INSERT INTO insights_test_runs ${COLUMNS} ${copy('t')} FROM new_test_results t JOIN jobs j ON j.id = t.job_id ${WORKFLOW_AND_PIPELINE};
      RETURN NULL; END $fn$`.execute(db);
    // Two statements, so that each compares the branch with `=` or IS NULL, which the index serves.
    await sql
      .raw(
        `CREATE FUNCTION insights_test_runs_branch() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN
      IF OLD.branch IS NULL THEN UPDATE insights_test_runs SET branch = NEW.branch WHERE ${rowsOf('t.branch IS NULL')};
      ELSE UPDATE insights_test_runs SET branch = NEW.branch WHERE ${rowsOf('t.branch = OLD.branch')}; END IF;
      RETURN NULL; END $fn$`,
      )
      .execute(db);
    await sql`CREATE TRIGGER insights_test_runs_branch AFTER UPDATE OF branch ON pipelines FOR EACH ROW
      WHEN (NEW.branch IS DISTINCT FROM OLD.branch) EXECUTE FUNCTION insights_test_runs_branch()`.execute(db);
  } else {
    await sql`DROP TRIGGER insights_test_runs_ins`.execute(db);
    await sql`CREATE TRIGGER insights_test_runs_ins AFTER INSERT ON test_results FOR EACH ROW BEGIN
      INSERT INTO insights_test_runs ${COLUMNS} ${copy('NEW')} FROM jobs j ${WORKFLOW_AND_PIPELINE} WHERE j.id = NEW.job_id; END`.execute(db);
    await sql
      .raw(
        `CREATE TRIGGER insights_test_runs_branch AFTER UPDATE OF branch ON pipelines FOR EACH ROW WHEN NEW.branch IS NOT OLD.branch BEGIN
      UPDATE insights_test_runs SET branch = NEW.branch WHERE ${rowsOf('t.branch IS OLD.branch')}; END`,
      )
      .execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
