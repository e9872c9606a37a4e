// Insights: narrow copies of workflow and job runs, kept in creation order per project and
// workflow name, with the pipeline's branch copied in. Insights windows were answered from
// the workflows index but joined each run's pipeline (and each job's workflow) by a random
// id: with a long history those lookups touch pages all over the pipelines and jobs indexes,
// so a 90-day window cost ~2× more at 100k runs than at 10k. Read from these tables, a window
// is one contiguous index range. Triggers keep them in step with every write to workflows,
// jobs and pipelines (whoever writes: the engine, a test, a bench), on SQLite and PostgreSQL.
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('insights_workflow_runs')
    .addColumn('workflow_id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('tag', 'text')
    .addColumn('branch', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('stopped_at', 'text')
    .execute();
  const wfCols = ['created_at', 'workflow_id', 'status', 'stopped_at', 'tag', 'branch'];
  await db.schema.createIndex('insights_workflow_runs_project').on('insights_workflow_runs').columns(['project_id', ...wfCols, 'name']).execute();
  await db.schema.createIndex('insights_workflow_runs_name').on('insights_workflow_runs').columns(['project_id', 'name', ...wfCols]).execute();
  await db.schema
    .createTable('insights_job_runs')
    .addColumn('job_id', 'text', (c) => c.primaryKey())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('workflow_name', 'text', (c) => c.notNull())
    .addColumn('workflow_created_at', 'text', (c) => c.notNull())
    .addColumn('workflow_tag', 'text')
    .addColumn('branch', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('stopped_at', 'text')
    .execute();
  await db.schema
    .createIndex('insights_job_runs_window')
    .on('insights_job_runs')
    .columns(['project_id', 'workflow_name', 'workflow_created_at', 'workflow_tag', 'type', 'status', 'branch', 'name', 'created_at', 'job_id', 'workflow_id', 'started_at', 'stopped_at'])
    .execute();
  await db.schema.createIndex('insights_job_runs_workflow').on('insights_job_runs').columns(['workflow_id']).execute();

  // The copies, as statements on NEW/OLD rows (the same text on both databases).
  const insertWorkflow = `INSERT INTO insights_workflow_runs (workflow_id, project_id, name, status, tag, branch, created_at, stopped_at)
    SELECT NEW.id, NEW.project_id, NEW.name, NEW.status, NEW.tag, p.branch, NEW.created_at, NEW.stopped_at FROM pipelines p WHERE p.id = NEW.pipeline_id`;
  const updateWorkflow = `UPDATE insights_workflow_runs SET project_id = NEW.project_id, name = NEW.name, status = NEW.status, tag = NEW.tag, created_at = NEW.created_at, stopped_at = NEW.stopped_at WHERE workflow_id = NEW.id`;
  const updateWorkflowJobs = `UPDATE insights_job_runs SET workflow_name = NEW.name, workflow_created_at = NEW.created_at, workflow_tag = NEW.tag WHERE workflow_id = NEW.id`;
  const deleteWorkflow = `DELETE FROM insights_workflow_runs WHERE workflow_id = OLD.id`;
  const insertJob = `INSERT INTO insights_job_runs (job_id, workflow_id, project_id, workflow_name, workflow_created_at, workflow_tag, branch, name, type, status, created_at, started_at, stopped_at)
    SELECT NEW.id, NEW.workflow_id, w.project_id, w.name, w.created_at, w.tag, p.branch, NEW.name, NEW.type, NEW.status, NEW.created_at, NEW.started_at, NEW.stopped_at
    FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id WHERE w.id = NEW.workflow_id`;
  const updateJob = `UPDATE insights_job_runs SET name = NEW.name, type = NEW.type, status = NEW.status, created_at = NEW.created_at, started_at = NEW.started_at, stopped_at = NEW.stopped_at WHERE job_id = NEW.id`;
  const deleteJob = `DELETE FROM insights_job_runs WHERE job_id = OLD.id`;
  const updateBranch = [
    `UPDATE insights_workflow_runs SET branch = NEW.branch WHERE workflow_id IN (SELECT id FROM workflows WHERE pipeline_id = NEW.id)`,
    `UPDATE insights_job_runs SET branch = NEW.branch WHERE workflow_id IN (SELECT id FROM workflows WHERE pipeline_id = NEW.id)`,
  ];
  const workflowChanged = 'NEW.name IS DISTINCT FROM OLD.name OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.tag IS DISTINCT FROM OLD.tag';

  if (pg) {
    const fn = async (name: string, body: string) =>
      sql.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN ${body} RETURN NULL; END $fn$`).execute(db);
    await fn('insights_workflow_ins', `${insertWorkflow};`);
    await fn('insights_workflow_upd', `${updateWorkflow}; IF ${workflowChanged} THEN ${updateWorkflowJobs}; END IF;`);
    await fn('insights_workflow_del', `${deleteWorkflow}; DELETE FROM insights_job_runs WHERE workflow_id = OLD.id;`);
    await fn('insights_job_ins', `${insertJob};`);
    await fn('insights_job_upd', `${updateJob};`);
    await fn('insights_job_del', `${deleteJob};`);
    await fn('insights_pipeline_upd', `IF NEW.branch IS DISTINCT FROM OLD.branch THEN ${updateBranch.join('; ')}; END IF;`);
    const trigger = (name: string, when: string, table: string) =>
      sql.raw(`CREATE TRIGGER ${name} AFTER ${when} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`).execute(db);
    await trigger('insights_workflow_ins', 'INSERT', 'workflows');
    await trigger('insights_workflow_upd', 'UPDATE', 'workflows');
    await trigger('insights_workflow_del', 'DELETE', 'workflows');
    await trigger('insights_job_ins', 'INSERT', 'jobs');
    await trigger('insights_job_upd', 'UPDATE', 'jobs');
    await trigger('insights_job_del', 'DELETE', 'jobs');
    await trigger('insights_pipeline_upd', 'UPDATE', 'pipelines');
  } else {
    const trigger = (name: string, when: string, table: string, body: string, cond?: string) =>
      sql.raw(`CREATE TRIGGER ${name} AFTER ${when} ON ${table} FOR EACH ROW ${cond ? `WHEN ${cond} ` : ''}BEGIN ${body}; END`).execute(db);
    const sqliteChanged = workflowChanged.replaceAll('IS DISTINCT FROM', 'IS NOT');
    await trigger('insights_workflow_ins', 'INSERT', 'workflows', insertWorkflow);
    await trigger('insights_workflow_upd', 'UPDATE', 'workflows', updateWorkflow);
    await trigger('insights_workflow_upd_jobs', 'UPDATE', 'workflows', updateWorkflowJobs, sqliteChanged);
    await trigger('insights_workflow_del', 'DELETE', 'workflows', `${deleteWorkflow}; DELETE FROM insights_job_runs WHERE workflow_id = OLD.id`);
    await trigger('insights_job_ins', 'INSERT', 'jobs', insertJob);
    await trigger('insights_job_upd', 'UPDATE', 'jobs', updateJob);
    await trigger('insights_job_del', 'DELETE', 'jobs', deleteJob);
    await trigger('insights_pipeline_upd', 'UPDATE', 'pipelines', updateBranch.join('; '), 'NEW.branch IS NOT OLD.branch');
  }

  // The history so far.
  await sql`INSERT INTO insights_workflow_runs (workflow_id, project_id, name, status, tag, branch, created_at, stopped_at)
    SELECT w.id, w.project_id, w.name, w.status, w.tag, p.branch, w.created_at, w.stopped_at FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id`.execute(db);
  await sql`INSERT INTO insights_job_runs (job_id, workflow_id, project_id, workflow_name, workflow_created_at, workflow_tag, branch, name, type, status, created_at, started_at, stopped_at)
    SELECT j.id, j.workflow_id, w.project_id, w.name, w.created_at, w.tag, p.branch, j.name, j.type, j.status, j.created_at, j.started_at, j.stopped_at
    FROM jobs j JOIN workflows w ON w.id = j.workflow_id JOIN pipelines p ON p.id = w.pipeline_id`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
