// Insights: indexes only. Every Insights query walks a window of one project's workflows in
// creation order (all names, or one), joins each run's pipeline (branch, revision) and, for
// job metrics, its jobs. The indexes below cover the columns those queries read, so a
// window is answered from index pages alone and its cost follows the window's size, not the
// history kept (nor the size of the configs stored in pipeline and job rows).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const workflowColumns = ['created_at', 'status', 'stopped_at', 'tag', 'pipeline_id', 'id'];
  await db.schema
    .createIndex('workflows_insights_project')
    .on('workflows')
    .columns(['project_id', ...workflowColumns.slice(0, 1), 'name', ...workflowColumns.slice(1)])
    .execute();
  await db.schema
    .createIndex('workflows_insights_project_name')
    .on('workflows')
    .columns(['project_id', 'name', ...workflowColumns])
    .execute();
  await db.schema.createIndex('pipelines_insights_id').on('pipelines').columns(['id', 'branch', 'revision', 'number']).execute();
  await db.schema
    .createIndex('jobs_insights_workflow')
    .on('jobs')
    .columns(['workflow_id', 'type', 'status', 'name', 'created_at', 'started_at', 'stopped_at', 'id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
