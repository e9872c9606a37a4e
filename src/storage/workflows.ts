// Workflows: a named job graph inside a pipeline.
import type { Db } from './executor.ts';
import type { WorkflowsTable } from './schema.ts';
import { oldestFirst } from './order.ts';

export type Workflow = WorkflowsTable;

export async function insertWorkflow(db: Db, row: Workflow): Promise<void> {
  await db.insertInto('workflows').values(row).execute();
}

export async function getWorkflow(db: Db, id: string): Promise<Workflow | undefined> {
  return db.selectFrom('workflows').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Takes the workflow's write lock for the rest of the transaction (a row lock on
 * PostgreSQL; SQLite's write lock), so concurrent job completions advance it one at a time.
 */
export async function lockWorkflow(db: Db, id: string): Promise<Workflow | undefined> {
  await db.updateTable('workflows').set((eb) => ({ status: eb.ref('status') })).where('id', '=', id).execute();
  return getWorkflow(db, id);
}

export async function updateWorkflow(db: Db, id: string, changes: Partial<Workflow>): Promise<void> {
  await db.updateTable('workflows').set(changes).where('id', '=', id).execute();
}

export async function workflowsOfPipeline(db: Db, pipelineId: string): Promise<Workflow[]> {
  return db.selectFrom('workflows').selectAll().where('pipeline_id', '=', pipelineId).$call(oldestFirst).execute();
}

export async function insertWorkflows(db: Db, rows: Workflow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('workflows').values(rows).execute();
}

export async function workflowsByIds(db: Db, ids: string[]): Promise<Workflow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('workflows').selectAll().where('id', 'in', ids).execute();
}
