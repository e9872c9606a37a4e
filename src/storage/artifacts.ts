// Artifact records of jobs (bytes in the blob store).
import type { Db } from './executor.ts';
import type { ArtifactsTable } from './schema.ts';

export type Artifact = ArtifactsTable;

/** Records an artifact; a second upload of the same path by the same run replaces it. */
export async function putArtifact(db: Db, row: Artifact): Promise<void> {
  await db
    .insertInto('artifacts')
    .values(row)
    .onConflict((oc) => oc.columns(['job_id', 'node_index', 'path']).doUpdateSet({ size: row.size, blob_key: row.blob_key, created_at: row.created_at }))
    .execute();
}

export async function artifactsOfJob(db: Db, jobId: string): Promise<Artifact[]> {
  return db.selectFrom('artifacts').selectAll().where('job_id', '=', jobId).orderBy('node_index').orderBy('path').execute();
}

export async function getArtifact(db: Db, jobId: string, nodeIndex: number, path: string): Promise<Artifact | undefined> {
  return db.selectFrom('artifacts').selectAll().where('job_id', '=', jobId).where('node_index', '=', nodeIndex).where('path', '=', path).executeTakeFirst();
}
