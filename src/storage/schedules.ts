// Scheduled pipelines: a project's schedules, and the compare-and-set claim the scheduler
// uses so each due run triggers once, however many replicas share the database.
import type { Db } from './executor.ts';
import type { SchedulesTable } from './schema.ts';

export type Schedule = SchedulesTable;

export async function insertSchedule(db: Db, row: Schedule): Promise<void> {
  await db.insertInto('schedules').values(row).execute();
}

export async function getSchedule(db: Db, id: string): Promise<Schedule | undefined> {
  return db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * A page of a project's schedules, newest first (then by id), after the key
 * `after` = [created_at, id]. Fetches `limit + 1` rows so the caller can tell whether more follow.
 */
export async function listSchedules(db: Db, projectId: string, limit: number, after?: [string, string]): Promise<Schedule[]> {
  let q = db.selectFrom('schedules').selectAll().where('project_id', '=', projectId);
  if (after) {
    const [at, id] = after;
    q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
}

export type ScheduleChanges = Partial<
  Pick<Schedule, 'name' | 'description' | 'timetable' | 'parameters' | 'attribution_actor' | 'actor_user_id' | 'next_run_at' | 'updated_at' | 'definition_id'>
>;

export async function updateSchedule(db: Db, id: string, changes: ScheduleChanges): Promise<void> {
  await db.updateTable('schedules').set(changes).where('id', '=', id).execute();
}

export async function deleteSchedule(db: Db, id: string): Promise<boolean> {
  const res = await db.deleteFrom('schedules').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Schedules due at `nowIso` (oldest due first). */
export async function dueSchedules(db: Db, nowIso: string, limit: number): Promise<Schedule[]> {
  return db
    .selectFrom('schedules')
    .selectAll()
    .where('next_run_at', 'is not', null)
    .where('next_run_at', '<=', nowIso)
    .orderBy('next_run_at')
    .limit(limit)
    .execute();
}

/**
 * Claims the run due at `due`: moves `next_run_at` to `next` only if it still is `due`.
 * One statement, atomic in both databases, so of several schedulers seeing the same due run
 * exactly one gets `true`.
 */
export async function claimScheduleRun(db: Db, id: string, due: string, next: string | null): Promise<boolean> {
  const res = await db
    .updateTable('schedules')
    .set({ next_run_at: next, last_claimed_run_at: due })
    .where('id', '=', id)
    .where('next_run_at', '=', due)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
