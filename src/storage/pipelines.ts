// Pipelines: one trigger of a project at a revision, with its configs and errors.
import type { Db } from './executor.ts';
import type { PipelinesTable } from './schema.ts';

export type Pipeline = PipelinesTable;

export async function insertPipeline(db: Db, row: Pipeline): Promise<void> {
  await db.insertInto('pipelines').values(row).execute();
}

export async function getPipeline(db: Db, id: string): Promise<Pipeline | undefined> {
  return db.selectFrom('pipelines').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getPipelineByNumber(db: Db, projectId: string, number: number): Promise<Pipeline | undefined> {
  return db.selectFrom('pipelines').selectAll().where('project_id', '=', projectId).where('number', '=', number).executeTakeFirst();
}

export async function updatePipeline(db: Db, id: string, changes: Partial<Pipeline>): Promise<void> {
  await db.updateTable('pipelines').set(changes).where('id', '=', id).execute();
}

export interface PipelineListQuery {
  projectIds: string[];
  branch?: string;
  actorId?: string;
  /** Keyset: list pipelines created before this (created_at, id). */
  before?: [string, string];
  limit: number;
}

/** Newest first; fetches `limit + 1` rows so the caller can tell whether a next page exists. */
export async function listPipelines(db: Db, q: PipelineListQuery): Promise<Pipeline[]> {
  if (q.projectIds.length === 0) return [];
  let sel = db.selectFrom('pipelines').selectAll().where('project_id', 'in', q.projectIds);
  if (q.branch !== undefined) sel = sel.where('branch', '=', q.branch);
  if (q.actorId !== undefined) sel = sel.where('trigger_actor_id', '=', q.actorId);
  if (q.before) {
    const [at, id] = q.before;
    sel = sel.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
  }
  return sel.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute();
}

export async function findPipelineByContinuationKey(db: Db, keyHash: string): Promise<Pipeline | undefined> {
  return db.selectFrom('pipelines').selectAll().where('continuation_key_hash', '=', keyHash).executeTakeFirst();
}

/** Marks a pending continuation used; false when it was not pending (used or expired meanwhile). */
export async function useContinuation(db: Db, pipelineId: string): Promise<boolean> {
  const row = await db
    .updateTable('pipelines')
    .set({ continuation_state: 'used' })
    .where('id', '=', pipelineId)
    .where('continuation_state', '=', 'pending')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function pipelinesByIds(db: Db, ids: string[]): Promise<Pipeline[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('pipelines').selectAll().where('id', 'in', ids).execute();
}
