// Insights: indexes only. Window scans over a project's workflows (all names) in creation
// order, covering the columns the aggregation reads so SQLite answers from the index alone;
// per-name scans use workflows_project_name (0002), their jobs jobs_workflow (0002).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('workflows_insights_project_created')
    .on('workflows')
    .columns(['project_id', 'created_at', 'name', 'status', 'stopped_at', 'pipeline_id'])
    .execute();
  await db.schema.createIndex('pipelines_project_revision').on('pipelines').columns(['project_id', 'revision']).execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
