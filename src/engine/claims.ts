// The server side of the runner protocol: atomic claims, leases, step results and output,
// task completion, and reaping tasks whose agent went silent.
import { sql, type Expression } from 'kysely';
import { nowIso } from '../domain/clock.ts';
import type { Db } from '../storage/executor.ts';
import { getJob, getTask, type Task } from '../storage/jobs.ts';
import { advanceWorkflow } from './advance.ts';
import type { EngineDeps } from './deps.ts';
import { recordCompletions, WEBHOOKS_EVENT } from './webhooks.ts';

export interface AgentCapabilities {
  agentId: string;
  /** Executor kinds the agent runs: docker, machine, macos, windows. */
  executors: string[];
  /** Self-hosted resource classes (`ns/name`); null = CircleCI's cloud classes (no `/`). */
  resourceClasses: string[] | null;
}

export const TASK_RESULTS = ['success', 'failed', 'infrastructure_fail', 'timedout', 'canceled'] as const;
export type TaskResult = (typeof TASK_RESULTS)[number];

export class LeaseLost extends Error {}

function leaseUntil(deps: EngineDeps): string {
  return nowIso(new Date(deps.now().getTime() + deps.leaseMs));
}

/**
 * Claims the oldest queued task this agent can run, or returns undefined. One statement:
 * PostgreSQL picks the row with `FOR UPDATE SKIP LOCKED`; SQLite runs it as one write
 * transaction. A task is never given to two agents.
 */
export async function claimTask(deps: EngineDeps, agent: AgentCapabilities): Promise<Task | undefined> {
  if (agent.executors.length === 0) return undefined;
  const db = deps.database.db;
  const pg = deps.database.dialect === 'postgres';
  const now = nowIso(deps.now());
  const pick = db
    .selectFrom('tasks')
    .select('id')
    .where('status', '=', 'queued')
    .where('executor', 'in', agent.executors)
    .where((eb) =>
      agent.resourceClasses === null
        ? eb('resource_class', 'not like', '%/%')
        : agent.resourceClasses.length > 0
          ? eb('resource_class', 'in', agent.resourceClasses)
          : sql<boolean>`1 = 0`,
    )
    .orderBy('queued_at')
    .orderBy('id')
    .limit(1);
  const startJob = (qb: Db, jobId: string | Expression<string>) =>
    qb
      .updateTable('jobs')
      .set((eb) => ({ status: 'running', started_at: eb.fn.coalesce('started_at', eb.val(now)) }))
      .where('id', '=', jobId)
      .where('status', '=', 'queued');
  // The job starts running with its first claimed run. That never changes the workflow's
  // status (a queued job already makes it running), so no advance is needed; the guard on
  // `queued` leaves a job canceled meanwhile alone.
  if (pg) {
    // One statement, one commit: the claim and the job's start as data-modifying CTEs. Raw
    // SQL: this is the hottest statement, and building it costs next to nothing this way.
    // SKIP LOCKED on the job row too: when another claimer holds it, that one starts the job.
    const classes =
      agent.resourceClasses === null
        ? sql`t.resource_class not like '%/%'`
        : agent.resourceClasses.length > 0
          ? sql`t.resource_class = any(${agent.resourceClasses})`
          : sql`false`;
    const { rows } = await sql<Task>`
      with c as (
        update tasks set status = 'running', agent_id = ${agent.agentId}, lease_expires_at = ${leaseUntil(deps)}, started_at = ${now}
        where id = (
          select t.id from tasks t
          where t.status = 'queued' and t.executor = any(${agent.executors}) and ${classes}
          order by t.queued_at, t.id limit 1 for update skip locked
        ) and status = 'queued'
        returning *
      ), j as (
        update jobs set status = 'running', started_at = coalesce(started_at, ${now})
        where id = (select id from jobs where id = (select job_id from c) and status = 'queued' for update skip locked)
        returning id
      )
      select * from c`.execute(db);
    return rows[0];
  }
  // SQLite: each statement is atomic under its single writer.
  const claimed = await db
    .updateTable('tasks')
    .set({ status: 'running', agent_id: agent.agentId, lease_expires_at: leaseUntil(deps), started_at: now })
    .where('id', '=', (eb) => eb.selectFrom(pick.as('p')).select('p.id'))
    .where('status', '=', 'queued')
    .returningAll()
    .executeTakeFirst();
  if (claimed) await startJob(db, claimed.job_id).execute();
  return claimed;
}

/**
 * Extends the lease and tells the agent whether the task was canceled. Once a cancel is
 * requested the lease is no longer extended: the agent has what is left of it to stop and
 * report, after which the reaper records the task as canceled.
 */
export async function heartbeat(deps: EngineDeps, taskId: string, agentId: string): Promise<{ cancel: boolean; leaseExpiresAt: string }> {
  const until = leaseUntil(deps);
  const row = await deps.database.db
    .updateTable('tasks')
    .set((eb) => ({ lease_expires_at: eb.case().when('cancel_requested', '=', 1).then(eb.ref('lease_expires_at')).else(until).end() }))
    .where('id', '=', taskId)
    .where('agent_id', '=', agentId)
    .where('status', '=', 'running')
    .returning(['cancel_requested', 'lease_expires_at'])
    .executeTakeFirst();
  if (!row) throw new LeaseLost('task is not running on this agent');
  return { cancel: Number(row.cancel_requested) === 1, leaseExpiresAt: row.lease_expires_at ?? until };
}

async function ownTask(db: Db, taskId: string, agentId: string): Promise<Task> {
  const task = await getTask(db, taskId);
  if (!task || task.agent_id !== agentId || task.status !== 'running') throw new LeaseLost('task is not running on this agent');
  return task;
}

export async function startStep(deps: EngineDeps, taskId: string, agentId: string, step: { index: number; name: string; type: string }): Promise<void> {
  const db = deps.database.db;
  await ownTask(db, taskId, agentId);
  await db
    .insertInto('steps')
    .values({ task_id: taskId, step_index: step.index, name: step.name, type: step.type, status: 'running', exit_code: null, started_at: nowIso(deps.now()), stopped_at: null, output_bytes: 0, truncated: 0 })
    .onConflict((oc) => oc.columns(['task_id', 'step_index']).doNothing())
    .execute();
}

/**
 * Per-step cap on stored output; past it a truncation note is kept instead. 256 MiB: a step
 * printing 100 MB (a verbose build or test log; `npm run bench:run` measures one) is kept
 * whole, and the whole output of a step still reads back as one string well below V8's
 * string length limit (~512 MiB).
 */
export const STEP_OUTPUT_CAP = 256 * 1024 * 1024;

/**
 * Appends a chunk of a step's output. `seq` is chosen by the agent (increasing per step),
 * so a retried request is stored once.
 */
export async function appendOutput(deps: EngineDeps, taskId: string, agentId: string, chunk: { index: number; seq: number; stream: string; data: string }): Promise<void> {
  const db = deps.database.db;
  await ownTask(db, taskId, agentId);
  const step = await db.selectFrom('steps').select(['output_bytes', 'truncated']).where('task_id', '=', taskId).where('step_index', '=', chunk.index).executeTakeFirst();
  if (!step || Number(step.truncated) === 1) return;
  const bytes = Buffer.byteLength(chunk.data);
  const over = Number(step.output_bytes) + bytes > STEP_OUTPUT_CAP;
  const data = over ? `\n[circlet: output truncated at ${STEP_OUTPUT_CAP} bytes]\n` : chunk.data;
  const inserted = await db
    .insertInto('step_output')
    .values({ task_id: taskId, step_index: chunk.index, seq: chunk.seq, stream: chunk.stream === 'err' ? 'err' : 'out', data, at: nowIso(deps.now()) })
    .onConflict((oc) => oc.columns(['task_id', 'step_index', 'seq']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 1n) === 0) return;
  await db
    .updateTable('steps')
    .set((eb) => ({ output_bytes: eb('output_bytes', '+', bytes), truncated: over ? 1 : 0 }))
    .where('task_id', '=', taskId)
    .where('step_index', '=', chunk.index)
    .execute();
}

export async function endStep(deps: EngineDeps, taskId: string, agentId: string, step: { index: number; status: string; exitCode: number | null }): Promise<void> {
  const db = deps.database.db;
  await ownTask(db, taskId, agentId);
  await db
    .updateTable('steps')
    .set({ status: step.status, exit_code: step.exitCode, stopped_at: nowIso(deps.now()) })
    .where('task_id', '=', taskId)
    .where('step_index', '=', step.index)
    .execute();
}

/** Records a task's result and advances its workflow. */
export async function completeTask(deps: EngineDeps, taskId: string, agentId: string, result: TaskResult, message?: string): Promise<void> {
  const db = deps.database.db;
  const task = await db
    .updateTable('tasks')
    .set({ status: result, stopped_at: nowIso(deps.now()), message: message ?? null, lease_expires_at: null })
    .where('id', '=', taskId)
    .where('agent_id', '=', agentId)
    .where('status', '=', 'running')
    .returning(['job_id'])
    .executeTakeFirst();
  if (!task) throw new LeaseLost('task is not running on this agent');
  await finishJobOf(deps, task.job_id);
}

export async function finishJobOf(deps: EngineDeps, jobId: string): Promise<void> {
  let queued = 0;
  let hooks = 0;
  await deps.database.db.transaction().execute(async (trx) => {
    const job = await getJob(trx, jobId);
    if (!job) return;
    const result = await advanceWorkflow(deps, trx, job.workflow_id);
    queued = result.queuedTasks;
    hooks = await recordCompletions(deps, trx, job.workflow_id, result.finished !== undefined, result.finishedJobs);
  });
  if (queued > 0) deps.events.emit('tasks');
  if (hooks > 0) deps.events.emit(WEBHOOKS_EVENT);
}

export const LEASE_LAPSED_MESSAGE = 'The agent running this job stopped responding (its lease expired).';
export const CANCEL_UNCONFIRMED_MESSAGE = 'The job was canceled; its agent did not confirm that it stopped before its lease expired.';

/**
 * Ends running tasks whose lease lapsed: `infrastructure_fail`, or `canceled` when a cancel
 * had been requested. Returns how many.
 */
export async function reapExpiredLeases(deps: EngineDeps): Promise<number> {
  const now = nowIso(deps.now());
  const rows = await deps.database.db
    .updateTable('tasks')
    .set((eb) => ({
      status: eb.case().when('cancel_requested', '=', 1).then('canceled').else('infrastructure_fail').end(),
      stopped_at: now,
      message: eb.case().when('cancel_requested', '=', 1).then(CANCEL_UNCONFIRMED_MESSAGE).else(LEASE_LAPSED_MESSAGE).end(),
    }))
    .where('status', '=', 'running')
    .where('lease_expires_at', '<', now)
    .returning(['id', 'job_id', 'status'])
    .execute();
  // Steps the lost agent left open end with their task (canceled, or failed), not `running` forever.
  for (const ended of ['canceled', 'infrastructure_fail'] as const) {
    const ids = rows.filter((r) => r.status === ended).map((r) => r.id);
    if (ids.length === 0) continue;
    await deps.database.db
      .updateTable('steps')
      .set({ status: ended === 'canceled' ? 'canceled' : 'failed', stopped_at: now })
      .where('task_id', 'in', ids)
      .where('status', '=', 'running')
      .execute();
  }
  for (const jobId of new Set(rows.map((r) => r.job_id))) await finishJobOf(deps, jobId);
  return rows.length;
}

export const DOCKER_WAIT_NOTE = 'This docker job waits for an agent with a reachable Docker engine';

/**
 * An agent that cannot run `docker` jobs polled while some wait: say so in those jobs'
 * messages (once per job), so a user sees why they stay queued.
 */
export async function noteJobsWaitingForDocker(deps: EngineDeps, agent: AgentCapabilities): Promise<number> {
  if (agent.executors.includes('docker')) return 0;
  const db = deps.database.db;
  const waiting = await db
    .selectFrom('tasks')
    .innerJoin('jobs', 'jobs.id', 'tasks.job_id')
    .select(['jobs.id', 'jobs.messages'])
    .distinct()
    .where('tasks.status', '=', 'queued')
    .where('tasks.executor', '=', 'docker')
    .where('jobs.messages', 'not like', `%${DOCKER_WAIT_NOTE}%`)
    .limit(50)
    .execute();
  for (const j of waiting) {
    const note = {
      type: 'info',
      message: `${DOCKER_WAIT_NOTE}: agent ${agent.agentId} has none (start dockerd where the agent runs, or run the agent with --docker-on-host).`,
    };
    await db
      .updateTable('jobs')
      .set({ messages: JSON.stringify([...(JSON.parse(j.messages) as unknown[]), note]) })
      .where('id', '=', j.id)
      .where('messages', 'not like', `%${DOCKER_WAIT_NOTE}%`)
      .execute();
  }
  return waiting.length;
}

/** A docker job an agent has claimed no longer waits: its "waits for a Docker engine" note goes. */
export async function clearDockerWaitNote(deps: EngineDeps, jobId: string): Promise<void> {
  const db = deps.database.db;
  const job = await db.selectFrom('jobs').select('messages').where('id', '=', jobId).where('messages', 'like', `%${DOCKER_WAIT_NOTE}%`).executeTakeFirst();
  if (!job) return;
  const kept = (JSON.parse(job.messages) as { message?: string }[]).filter((m) => !m.message?.startsWith(DOCKER_WAIT_NOTE));
  await db.updateTable('jobs').set({ messages: JSON.stringify(kept) }).where('id', '=', jobId).execute();
}
