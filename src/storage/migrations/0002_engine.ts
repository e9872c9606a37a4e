// Pipelines, workflows, jobs, their parallel runs (tasks), step results and output,
// contexts, runner tokens, and per-project counters.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('project_counters')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('pipeline_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('job_number', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('pipelines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    .addColumn('trigger_actor_id', 'text')
    .addColumn('trigger_received_at', 'text', (c) => c.notNull())
    .addColumn('branch', 'text')
    .addColumn('tag', 'text')
    .addColumn('revision', 'text')
    .addColumn('vcs', 'text', (c) => c.notNull())
    .addColumn('parameters', 'text', (c) => c.notNull())
    .addColumn('trigger_parameters', 'text', (c) => c.notNull())
    .addColumn('pipeline_values', 'text', (c) => c.notNull())
    .addColumn('errors', 'text', (c) => c.notNull())
    .addColumn('source_config', 'text', (c) => c.notNull())
    .addColumn('compiled_config', 'text', (c) => c.notNull())
    .addColumn('setup_config', 'text', (c) => c.notNull())
    .addColumn('compiled_setup_config', 'text', (c) => c.notNull())
    .addColumn('continuation_key_hash', 'text')
    .addColumn('continuation_state', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('pipelines_project_number', ['project_id', 'number'])
    .execute();
  await db.schema.createIndex('pipelines_project_branch').on('pipelines').columns(['project_id', 'branch', 'number']).execute();
  await db.schema.createIndex('pipelines_actor').on('pipelines').columns(['trigger_actor_id', 'created_at']).execute();
  await db.schema.createIndex('pipelines_created').on('pipelines').columns(['created_at']).execute();

  await db.schema
    .createTable('workflows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('tag', 'text')
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('canceled_by', 'text')
    .addColumn('errored_by', 'text')
    .addColumn('rerun_of', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('stopped_at', 'text')
    .execute();
  await db.schema.createIndex('workflows_pipeline').on('workflows').columns(['pipeline_id', 'created_at']).execute();
  await db.schema.createIndex('workflows_project_name').on('workflows').columns(['project_id', 'name', 'created_at']).execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workflow_id', 'text', (c) => c.notNull().references('workflows.id').onDelete('cascade'))
    .addColumn('pipeline_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('number', 'integer')
    .addColumn('requires', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('contexts', 'text', (c) => c.notNull())
    .addColumn('executor', 'text', (c) => c.notNull())
    .addColumn('resource_class', 'text', (c) => c.notNull())
    .addColumn('parallelism', 'integer', (c) => c.notNull())
    .addColumn('approval_request_id', 'text')
    .addColumn('approved_by', 'text')
    .addColumn('canceled_by', 'text')
    .addColumn('messages', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'text')
    .addColumn('started_at', 'text')
    .addColumn('stopped_at', 'text')
    .execute();
  await db.schema.createIndex('jobs_workflow').on('jobs').columns(['workflow_id']).execute();
  await db.schema.createIndex('jobs_project_number').on('jobs').columns(['project_id', 'number']).execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('node_index', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('resource_class', 'text', (c) => c.notNull())
    .addColumn('executor', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('queued_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('stopped_at', 'text')
    .addColumn('message', 'text')
    .execute();
  await db.schema.createIndex('tasks_queue').on('tasks').columns(['status', 'resource_class', 'queued_at']).execute();
  await db.schema.createIndex('tasks_job').on('tasks').columns(['job_id', 'node_index']).execute();
  await db.schema.createIndex('tasks_lease').on('tasks').columns(['status', 'lease_expires_at']).execute();

  await db.schema
    .createTable('steps')
    .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('stopped_at', 'text')
    .addColumn('output_bytes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('truncated', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('steps_pk', ['task_id', 'step_index'])
    .execute();

  await db.schema
    .createTable('step_output')
    .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('step_output_pk', ['task_id', 'step_index', 'seq'])
    .execute();

  await db.schema
    .createTable('contexts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('contexts_org_name', ['organization_id', 'name'])
    .execute();

  await db.schema
    .createTable('context_env_vars')
    .addColumn('context_id', 'text', (c) => c.notNull().references('contexts.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('context_env_vars_pk', ['context_id', 'name'])
    .execute();

  await db.schema
    .createTable('context_restrictions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('context_id', 'text', (c) => c.notNull().references('contexts.id').onDelete('cascade'))
    .addColumn('restriction_type', 'text', (c) => c.notNull())
    .addColumn('restriction_value', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('context_restrictions_context').on('context_restrictions').columns(['context_id']).execute();

  await db.schema
    .createTable('runner_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('resource_class', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
