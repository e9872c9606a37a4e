// Per-project pipeline and job numbers: increasing, never reused.
import type { Db } from './executor.ts';

async function bump(db: Db, projectId: string, column: 'pipeline_number' | 'job_number', by: number): Promise<number> {
  await db
    .insertInto('project_counters')
    .values({ project_id: projectId, pipeline_number: 0, job_number: 0 })
    .onConflict((oc) => oc.column('project_id').doNothing())
    .execute();
  const row = await db
    .updateTable('project_counters')
    .set((eb) => ({ [column]: eb(column, '+', by) }))
    .where('project_id', '=', projectId)
    .returning(column)
    .executeTakeFirstOrThrow();
  return Number((row as Record<string, unknown>)[column]);
}

export function nextPipelineNumber(db: Db, projectId: string): Promise<number> {
  return bump(db, projectId, 'pipeline_number', 1);
}

/** Reserves `count` job numbers and returns the first. */
export async function reserveJobNumbers(db: Db, projectId: string, count: number): Promise<number> {
  const last = await bump(db, projectId, 'job_number', count);
  return last - count + 1;
}
