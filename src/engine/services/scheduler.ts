// The scheduler: on every tick, triggers the pipelines of schedules that are due.
//
// Each schedule row carries its next due time (`next_run_at`). A tick reads the due rows and
// claims each run with one compare-and-set (`UPDATE … SET next_run_at = <next> WHERE id = ?
// AND next_run_at = <due>`): of several replicas seeing the same due run exactly one claim
// succeeds, and only that replica triggers the pipeline. `<next>` is computed from the tick's
// clock, not from the due time, so a server that was down across several due times triggers
// once when it comes back, not once per missed run. A replica that dies between the claim and
// the trigger loses that one run (at most once, never twice).
import { nowIso } from '../../domain/clock.ts';
import { getDefinition } from '../../storage/pipeline-definitions.ts';
import { getProject } from '../../storage/projects.ts';
import { claimScheduleRun, dueSchedules, type Schedule } from '../../storage/schedules.ts';
import type { EngineDeps } from '../deps.ts';
import { nextRun, type Timetable } from '../../domain/timetable.ts';
import { triggerPipeline } from '../pipeline/trigger.ts';

const BATCH = 50;

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

/** Triggers one schedule's pipeline, as its attribution says. */
async function triggerSchedule(deps: EngineDeps, schedule: Schedule): Promise<void> {
  const project = await getProject(deps.database.db, schedule.project_id);
  if (!project) return;
  const { branch, tag, parameters } = scheduleTrigger(JSON.parse(schedule.parameters) as Record<string, unknown>);
  const definition = schedule.definition_id ? await getDefinition(deps.database.db, project.id, schedule.definition_id) : undefined;
  await triggerPipeline(deps, {
    configPath: definition?.config_file_path,
    project,
    actorId: schedule.attribution_actor === 'system' ? null : schedule.actor_user_id,
    triggerType: 'scheduled_pipeline',
    branch,
    tag,
    parameters,
    schedule: { name: schedule.name, id: schedule.id },
  });
}

/**
 * One scheduler tick: claims every due run and triggers its pipeline. Returns the number of
 * pipelines this call triggered.
 */
export async function runDueSchedules(deps: EngineDeps): Promise<number> {
  const now = deps.now();
  let triggered = 0;
  for (;;) {
    const due = await dueSchedules(deps.database.db, nowIso(now), BATCH);
    let claimedAny = false;
    for (const schedule of due) {
      const timetable = JSON.parse(schedule.timetable) as Timetable;
      const next = nextRunAt(timetable, now, schedule.id);
      if (!(await claimScheduleRun(deps.database.db, schedule.id, schedule.next_run_at!, next))) continue;
      claimedAny = true;
      try {
        await triggerSchedule(deps, schedule);
        triggered++;
      } catch {
        /* the run is claimed: it is not retried (at most once); the next run comes as usual */
      }
    }
    // Another replica may hold the rest of a full batch; stop when nothing more is due to us.
    if (due.length < BATCH || !claimedAny) return triggered;
  }
}
