// Step results and output of tasks, as agents reported them.
import type { Db } from './executor.ts';
import type { StepOutputTable, StepsTable } from './schema.ts';

export type Step = StepsTable;
export type StepOutput = StepOutputTable;

export async function stepsOfTasks(db: Db, taskIds: string[]): Promise<Step[]> {
  if (taskIds.length === 0) return [];
  return db.selectFrom('steps').selectAll().where('task_id', 'in', taskIds).orderBy('step_index').execute();
}

/** Output chunks of one step in order, optionally only those after `afterSeq`. */
export async function outputOfStep(db: Db, taskId: string, stepIndex: number, afterSeq = -1, limit = 10_000): Promise<StepOutput[]> {
  return db.selectFrom('step_output').selectAll().where('task_id', '=', taskId).where('step_index', '=', stepIndex).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
}
