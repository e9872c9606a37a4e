// Workspace layers: what persist_to_workspace saved, per workflow workspace.
import type { Db } from './executor.ts';
import type { WorkspaceLayersTable } from './schema.ts';
import { oldestFirst } from './order.ts';

export type WorkspaceLayer = WorkspaceLayersTable;

export async function insertWorkspaceLayer(db: Db, row: WorkspaceLayer): Promise<void> {
  await db.insertInto('workspace_layers').values(row).execute();
}

/** Layers of a workspace saved by the given jobs, oldest first (later layers win). */
export async function layersOfJobs(db: Db, workspaceId: string, jobIds: string[]): Promise<WorkspaceLayer[]> {
  if (jobIds.length === 0) return [];
  return db.selectFrom('workspace_layers').selectAll().where('workspace_id', '=', workspaceId).where('job_id', 'in', jobIds).$call(oldestFirst).execute();
}

/** The jobs among `jobNames` that saved a layer to this workspace. */
export async function jobsWithLayers(db: Db, workspaceId: string, jobNames: string[]): Promise<string[]> {
  if (jobNames.length === 0) return [];
  const rows = await db.selectFrom('workspace_layers').select('job_id').distinct().where('workspace_id', '=', workspaceId).where('job_name', 'in', jobNames).execute();
  return rows.map((r) => r.job_id);
}
