// Per-project pipeline and job numbers: increasing, never reused.
import { sql } from 'kysely';
import type { Db } from './executor.ts';

/** One statement (an upsert): creates the project's counters on first use, else bumps one. */
async function bump(db: Db, projectId: string, column: 'pipeline_number' | 'job_number', by: number): Promise<number> {
  const row = await db
    .insertInto('project_counters')
    .values({ project_id: projectId, pipeline_number: column === 'pipeline_number' ? by : 0, job_number: column === 'job_number' ? by : 0 })
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ [column]: sql<number>`${sql.ref(`project_counters.${column}`)} + ${by}` }))
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
