// The scheduler: on every tick, triggers the pipelines of schedules that are due.
//
// Each schedule row carries its next due time (`next_run_at`). A tick reads the due rows and
// claims each run with one compare-and-set (`UPDATE … SET next_run_at = <next> WHERE id = ?
// AND next_run_at = <due>`): of several replicas seeing the same due run exactly one claim
// succeeds, and only that replica triggers the pipeline. `<next>` is computed from the tick's
// clock, not from the due time, so a server that was down across several due times triggers
// once when it comes back, not once per missed run.
//
// At least once, never twice: the claim also records the run (`schedule_runs`) with a claim
// token held until `claimed_until`, and the pipeline's own transaction marks the run
// triggered only while that token still holds it. A replica that dies between the claim and
// the trigger leaves the run unmarked; once its claim lapses another replica takes it over
// (a new token, one compare-and-set) and triggers it. Should the first replica come back to
// life, its mark fails and its pipeline is rolled back.
import crypto from 'node:crypto';
import { nowIso } from '../../domain/clock.ts';
import { getDefinition } from '../../storage/pipeline-definitions.ts';
import { getProject } from '../../storage/projects.ts';
import {
  claimScheduleRunRecorded,
  dueSchedules,
  getSchedule,
  lapsedScheduleRuns,
  markScheduleRunTriggered,
  pruneScheduleRuns,
  reclaimScheduleRun,
  type Schedule,
  type ScheduleRun,
} from '../../storage/schedules.ts';
import type { EngineDeps } from '../deps.ts';
import { nextRun, type Timetable } from '../../domain/timetable.ts';
import { triggerPipeline } from '../pipeline/trigger.ts';

const BATCH = 50;
/** How long a replica holds a claimed run before another may trigger it (a trigger fetches git and compiles). */
export const SCHEDULE_CLAIM_MS = 120_000;
/** A run whose trigger failed this often (not a crash: an error each time) is given up. */
const MAX_ATTEMPTS = 5;
const KEEP_RUNS_MS = 7 * 86_400_000;

/** The run was taken over by another replica (its claim lapsed) or triggered already. */
export class ScheduleRunLost extends Error {}

/** The next due time of a schedule after `after`, as stored (ISO text), or null if never. */
export function nextRunAt(timetable: Timetable, after: Date, scheduleId: string): string | null {
  const next = nextRun(timetable, after, scheduleId);
  return next ? nowIso(next) : null;
}

/** The git ref and the remaining pipeline parameters of a schedule's stored parameters. */
export function scheduleTrigger(parameters: Record<string, unknown>): { branch?: string; tag?: string; parameters: Record<string, unknown> } {
  const { branch, tag, ...rest } = parameters;
  return {
    ...(typeof branch === 'string' ? { branch } : {}),
    ...(typeof tag === 'string' ? { tag } : {}),
    parameters: rest,
  };
}

/** Triggers one schedule's pipeline, as its attribution says, for the claimed `run`; false when the run is no longer ours. */
async function triggerSchedule(deps: EngineDeps, schedule: Schedule, run: ScheduleRun): Promise<boolean> {
  const project = await getProject(deps.database.db, schedule.project_id);
  if (!project) return false;
  const { branch, tag, parameters } = scheduleTrigger(JSON.parse(schedule.parameters) as Record<string, unknown>);
  const definition = schedule.definition_id ? await getDefinition(deps.database.db, project.id, schedule.definition_id) : undefined;
  return triggerPipeline(deps, {
    configPath: definition?.config_file_path,
    project,
    actorId: schedule.attribution_actor === 'system' ? null : schedule.actor_user_id,
    triggerType: 'scheduled_pipeline',
    branch,
    tag,
    parameters,
    schedule: { name: schedule.name, id: schedule.id },
    guard: async (trx, pipelineId) => {
      if (!(await markScheduleRunTriggered(trx, run, pipelineId))) throw new ScheduleRunLost(`scheduled run ${schedule.id}@${run.due_at} is no longer held by this replica`);
    },
  }).then(
    () => true,
    (err: unknown) => {
      if (err instanceof ScheduleRunLost) return false;
      throw err;
    },
  );
}

/** Claims the run of `schedule` due now (recording it), without triggering it. */
export async function claimDueRun(deps: EngineDeps, schedule: Schedule, now: Date): Promise<ScheduleRun | undefined> {
  const timetable = JSON.parse(schedule.timetable) as Timetable;
  const next = nextRunAt(timetable, now, schedule.id);
  return claimScheduleRunRecorded(deps.database.db, schedule.id, schedule.next_run_at!, next, {
    claim_token: crypto.randomUUID(),
    claimed_until: nowIso(new Date(now.getTime() + SCHEDULE_CLAIM_MS)),
    created_at: nowIso(now),
  });
}

/** Triggers a claimed run; true when this call created its pipeline. Errors leave the run to be retried once its claim lapses. */
export async function triggerRun(deps: EngineDeps, run: ScheduleRun): Promise<boolean> {
  const schedule = await getSchedule(deps.database.db, run.schedule_id);
  if (!schedule) return false;
  try {
    return await triggerSchedule(deps, schedule, run);
  } catch {
    return false;
  }
}

/** Takes over and triggers runs whose claiming replica died before triggering them. */
async function recoverLapsedRuns(deps: EngineDeps, now: Date): Promise<number> {
  let triggered = 0;
  for (const lapsed of await lapsedScheduleRuns(deps.database.db, nowIso(now), MAX_ATTEMPTS, BATCH)) {
    const run = await reclaimScheduleRun(deps.database.db, lapsed, crypto.randomUUID(), nowIso(new Date(now.getTime() + SCHEDULE_CLAIM_MS)));
    if (run && (await triggerRun(deps, run))) triggered++;
  }
  return triggered;
}

/**
 * One scheduler tick: claims every due run and triggers its pipeline. Returns the number of
 * pipelines this call triggered.
 */
export async function runDueSchedules(deps: EngineDeps): Promise<number> {
  const now = deps.now();
  let triggered = await recoverLapsedRuns(deps, now);
  for (;;) {
    const due = await dueSchedules(deps.database.db, nowIso(now), BATCH);
    let claimedAny = false;
    for (const schedule of due) {
      const run = await claimDueRun(deps, schedule, now);
      if (!run) continue;
      claimedAny = true;
      if (await triggerSchedule(deps, schedule, run).catch(() => false)) triggered++;
    }
    // Another replica may hold the rest of a full batch; stop when nothing more is due to us.
    if (due.length < BATCH || !claimedAny) break;
  }
  await pruneScheduleRuns(deps.database.db, nowIso(new Date(now.getTime() - KEEP_RUNS_MS)));
  return triggered;
}
