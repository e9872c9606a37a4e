// Scheduled pipelines: a project's schedules, and the compare-and-set claim the scheduler
// uses so each due run triggers once, however many replicas share the database.
import type { ExpressionBuilder } from 'kysely';
import type { Db } from './executor.ts';
import type { Schema, ScheduleRunsTable, SchedulesTable } from './schema.ts';

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

/** A scheduled run a replica claimed: it holds it with `claim_token` until `claimed_until`. */
export type ScheduleRun = ScheduleRunsTable;

type RunFilter = ExpressionBuilder<Schema, 'schedule_runs'>;

/** A recorded run no pipeline has been triggered for yet. */
const untriggered = (eb: RunFilter) => eb('pipeline_id', 'is', null);

/** The run still as `run` holds it: the same claim, and untriggered (the compare of reclaim and trigger). */
const stillHeld = (run: Pick<ScheduleRun, 'schedule_id' | 'due_at' | 'claim_token'>) => (eb: RunFilter) =>
  eb.and([eb('schedule_id', '=', run.schedule_id), eb('due_at', '=', run.due_at), eb('claim_token', '=', run.claim_token), untriggered(eb)]);

/**
 * Claims the run due at `due` by recording it: the row's key (schedule, due time) lets exactly
 * one scheduler insert it, and the run is on record until a pipeline is triggered for it.
 * Then moves the schedule on to `next` (claimScheduleRun; a scheduler that lost the insert
 * does this too, so a claimer that died here does not leave the schedule stuck on `due`).
 * Two statements, no transaction: each is atomic, and the order keeps every run on record.
 */
export async function claimScheduleRunRecorded(db: Db, id: string, due: string, next: string | null, run: Omit<ScheduleRun, 'schedule_id' | 'due_at' | 'pipeline_id' | 'attempts'>): Promise<ScheduleRun | undefined> {
  const row: ScheduleRun = { schedule_id: id, due_at: due, pipeline_id: null, attempts: 1, ...run };
  const res = await db.insertInto('schedule_runs').values(row).onConflict((oc) => oc.columns(['schedule_id', 'due_at']).doNothing()).executeTakeFirst();
  await claimScheduleRun(db, id, due, next);
  return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1 ? row : undefined;
}

/** Claimed runs with no pipeline whose claim lapsed (the claiming replica died), oldest first. */
export async function lapsedScheduleRuns(db: Db, nowIso: string, maxAttempts: number, limit: number): Promise<ScheduleRun[]> {
  return db
    .selectFrom('schedule_runs')
    .selectAll()
    .where(untriggered)
    .where('claimed_until', '<', nowIso)
    .where('attempts', '<', maxAttempts)
    .orderBy('due_at')
    .limit(limit)
    .execute();
}

/** Takes over a lapsed run: only if it is still held by `run.claim_token` and untriggered. */
export async function reclaimScheduleRun(db: Db, run: ScheduleRun, token: string, until: string): Promise<ScheduleRun | undefined> {
  const res = await db
    .updateTable('schedule_runs')
    .set({ claim_token: token, claimed_until: until, attempts: run.attempts + 1 })
    .where(stillHeld(run))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1 ? { ...run, claim_token: token, claimed_until: until, attempts: run.attempts + 1 } : undefined;
}

/**
 * Marks the run triggered, inside the trigger's transaction: true only for the holder of the
 * current claim of an untriggered run, so a run is never triggered twice.
 */
export async function markScheduleRunTriggered(db: Db, run: Pick<ScheduleRun, 'schedule_id' | 'due_at' | 'claim_token'>, pipelineId: string): Promise<boolean> {
  const res = await db
    .updateTable('schedule_runs')
    .set({ pipeline_id: pipelineId })
    .where(stillHeld(run))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Forgets triggered runs recorded before `beforeIso`. */
export async function pruneScheduleRuns(db: Db, beforeIso: string): Promise<void> {
  await db.deleteFrom('schedule_runs').where('pipeline_id', 'is not', null).where('created_at', '<', beforeIso).execute();
}
