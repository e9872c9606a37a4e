// The runner side of tasks: atomic claims, leases, step records and output, completion,
// and reaping tasks whose lease lapsed.
import { sql, type Expression } from 'kysely';
import type { StepStatus, TaskResult } from '../domain/runner-protocol.ts';
import type { TaskStatus } from '../domain/statuses.ts';
import { isPostgres, SERVER_PREPARED, type Db } from './executor.ts';
import type { Task } from './jobs.ts';
import { preparedFirst } from './prepared.ts';

/** Which queued tasks an agent may take. */
export interface ClaimFilter {
  agentId: string;
  executors: readonly string[];
  /** Self-hosted resource classes (`ns/name`); null = CircleCI's cloud classes (no `/`). */
  resourceClasses: readonly string[] | null;
}

/** Who holds a claimed task: the runner token that claimed it and its task credential's hash. */
export interface TaskOwner {
  runnerTokenId: string;
  credentialHash: string;
}

/** A claimed task with its job and what the agent is told of it (jobWithOwners). */
export interface ClaimedTask {
  task: Task;
  job: JobWithOwners;
  /** When this claim was its pipeline's first: the pipeline's `created_at` (the first-claim latency metric). */
  firstOfPipeline?: string;
}

/**
 * Claims the oldest queued task the agent can run and starts its job, or returns undefined.
 * PostgreSQL picks the row with `FOR UPDATE SKIP LOCKED` in one statement; SQLite runs each
 * statement atomically under its single writer. A task is never given to two agents.
 * The task comes with its job's row (jobWithOwners), read in the same statement on
 * PostgreSQL: as it was before the claim (a job's `status` and `started_at` may be older).
 */
/**
 * Which tasks' resource classes a claimer may take, as a condition on `t` (PostgreSQL): null
 * is the cloud agent (every class without a namespace), a list is a runner's own classes.
 */
export function resourceClassCondition(resourceClasses: readonly string[] | null) {
  return resourceClasses === null
    ? sql<boolean>`t.resource_class not like '%/%'`
    : resourceClasses.length > 0
      ? sql<boolean>`t.resource_class = any(${[...resourceClasses]})`
      : sql<boolean>`false`;
}

export async function claimQueuedTask(db: Db, agent: ClaimFilter, now: string, leaseUntil: string, owner: TaskOwner): Promise<ClaimedTask | undefined> {
  if (agent.executors.length === 0) return undefined;
  const executors = [...agent.executors];
  if (isPostgres(db)) {
    // One statement, one commit, one round trip: the claim and the job's start as
    // data-modifying CTEs, and the job with its owners for the task payload. Raw SQL: this
    // is the hottest statement, and building it costs next to nothing this way.
    // SKIP LOCKED on the job row too: when another claimer holds it, that one starts the job.
    const classes = resourceClassCondition(agent.resourceClasses);
    // The pipeline's first claim sets `first_claim_at` (a guarded update: later claims only
    // read the row). Prepared on the server (SERVER_PREPARED): planning this statement costs
    // about three times running it.
    const { rows } = await sql<Task & { owners: JobWithOwners; first_of: string | null }>`${sql.raw(SERVER_PREPARED)}
      with c as (
        update tasks set status = 'running', agent_id = ${agent.agentId}, lease_expires_at = ${leaseUntil}, started_at = ${now},
          runner_token_id = ${owner.runnerTokenId}, credential_hash = ${owner.credentialHash}
        where id = (
          select t.id from tasks t
          where t.status = 'queued' and t.executor = any(${executors}) and ${classes}
          order by t.queued_at, t.id limit 1 for update skip locked
        ) and status = 'queued'
        returning *
      ), s as (
        update jobs set status = 'running', started_at = coalesce(started_at, ${now})
        where id = (select id from jobs where id = (select job_id from c) and status = 'queued' for update skip locked)
        returning id
      ), f as (
        update pipelines set first_claim_at = ${now}
        where id = (select pipeline_id from jobs where id = (select job_id from c)) and first_claim_at is null
        returning created_at
      )
      select c.*, row_to_json(o) as owners, (select created_at from f) as first_of from c cross join lateral (
        select j.*, ${sql.raw(OWNER_COLUMNS.join(', '))} ${sql.raw(OWNER_JOINS)} where j.id = c.job_id
      ) o`.execute(db);
    const row = rows[0];
    if (!row) return undefined;
    const { owners, first_of, ...task } = row;
    return first_of === null ? { task, job: owners } : { task, job: owners, firstOfPipeline: first_of };
  }
  // The claim queue's partial index by name: with planner statistics, SQLite would rather
  // take tasks_lease (status, …) and sort every queued task on each claim (45× slower at
  // 6,000 queued). The literal 'queued' is what makes the partial index usable.
  const classes =
    agent.resourceClasses === null
      ? sql`resource_class not like '%/%'`
      : agent.resourceClasses.length > 0
        ? sql`resource_class in (${sql.join([...agent.resourceClasses])})`
        : sql`1 = 0`;
  const pick = sql<string>`(select id from tasks indexed by tasks_claim_queue
    where status = 'queued' and executor in (${sql.join(executors)}) and ${classes} order by queued_at, id limit 1)`;
  const claimed = await db
    .updateTable('tasks')
    .set({ status: 'running', agent_id: agent.agentId, lease_expires_at: leaseUntil, started_at: now, runner_token_id: owner.runnerTokenId, credential_hash: owner.credentialHash })
    .where('id', '=', pick)
    .where('status', '=', 'queued')
    .returningAll()
    .executeTakeFirst();
  if (!claimed) return undefined;
  // The job starts running with its first claimed run; the guard on `queued` leaves a job
  // canceled meanwhile alone.
  await startQueuedJob(db, claimed.job_id, now);
  const job = await jobWithOwners(db, claimed.job_id);
  const first = await markFirstClaim(db, job.pipeline_id, now);
  return first === undefined ? { task: claimed, job } : { task: claimed, job, firstOfPipeline: first };
}

/** Sets the pipeline's `first_claim_at` unless set; its `created_at` when this call set it. */
async function markFirstClaim(db: Db, pipelineId: string, now: string): Promise<string | undefined> {
  const row = await db.updateTable('pipelines').set({ first_claim_at: now }).where('id', '=', pipelineId).where('first_claim_at', 'is', null).returning('created_at').executeTakeFirst();
  return row?.created_at;
}

async function startQueuedJob(db: Db, jobId: string | Expression<string>, now: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set((eb) => ({ status: 'running', started_at: eb.fn.coalesce('started_at', eb.val(now)) }))
    .where('id', '=', jobId)
    .where('status', '=', 'queued')
    .execute();
}

/**
 * Extends the lease of a task running on this agent to `until`, unless a cancel was
 * requested (then the lease is left to run out). Undefined when the task is not running there.
 */
export async function extendLease(db: Db, taskId: string, agentId: string, until: string): Promise<{ cancel: boolean; leaseExpiresAt: string } | undefined> {
  const row = await db
    .updateTable('tasks')
    .set((eb) => ({ lease_expires_at: eb.case().when('cancel_requested', '=', 1).then(eb.ref('lease_expires_at')).else(until).end() }))
    .where('id', '=', taskId)
    .where('agent_id', '=', agentId)
    .where('status', '=', 'running')
    .returning(['cancel_requested', 'lease_expires_at'])
    .executeTakeFirst();
  return row && { cancel: Number(row.cancel_requested) === 1, leaseExpiresAt: row.lease_expires_at ?? until };
}

/** Records that a step started (once: a retried report changes nothing). */
export async function insertRunningStep(db: Db, taskId: string, step: { index: number; name: string; type: string }, now: string): Promise<void> {
  await db
    .insertInto('steps')
    .values({ task_id: taskId, step_index: step.index, name: step.name, type: step.type, status: 'running', exit_code: null, started_at: now, stopped_at: null, output_bytes: 0, truncated: 0 })
    .onConflict((oc) => oc.columns(['task_id', 'step_index']).doNothing())
    .execute();
}

export async function finishStep(db: Db, taskId: string, step: { index: number; status: StepStatus; exitCode: number | null }, now: string): Promise<void> {
  await db
    .updateTable('steps')
    .set({ status: step.status, exit_code: step.exitCode, stopped_at: now })
    .where('task_id', '=', taskId)
    .where('step_index', '=', step.index)
    .execute();
}

/** Ends a task running on this agent with `result`; returns its job id, or undefined when it was not running there. */
export async function finishRunningTask(db: Db, taskId: string, agentId: string, result: TaskResult, message: string | null, now: string): Promise<string | undefined> {
  const task = await db
    .updateTable('tasks')
    .set({ status: result, stopped_at: now, message, lease_expires_at: null })
    .where('id', '=', taskId)
    .where('agent_id', '=', agentId)
    .where('status', '=', 'running')
    .returning(['job_id'])
    .executeTakeFirst();
  return task?.job_id;
}

/**
 * Ends running tasks whose lease lapsed before `now`: `canceled` with `messages.canceled`
 * when a cancel had been requested, else `infrastructure_fail` with `messages.lapsed`.
 * Returns the tasks ended, with their jobs and new status.
 */
export async function endLapsedTasks(db: Db, now: string, messages: { lapsed: string; canceled: string }): Promise<{ id: string; job_id: string; status: TaskStatus }[]> {
  const rows = await db
    .updateTable('tasks')
    .set((eb) => ({
      status: eb.case().when('cancel_requested', '=', 1).then(eb.val<TaskStatus>('canceled')).else(eb.val<TaskStatus>('infrastructure_fail')).end(),
      stopped_at: now,
      message: eb.case().when('cancel_requested', '=', 1).then(messages.canceled).else(messages.lapsed).end(),
    }))
    .where('status', '=', 'running')
    .where('lease_expires_at', '<', now)
    .returning(['id', 'job_id', 'status'])
    .execute();
  return rows;
}

/**
 * Jobs still queued or running whose tasks have all ended: a result was recorded but the job
 * was never advanced (the replica died between the two). At most `limit`, oldest first.
 */
export async function jobsWithEndedTasks(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('jobs.id')
    .where('jobs.status', 'in', ['queued', 'running'])
    .where(({ exists, not, selectFrom }) =>
      exists(selectFrom('tasks').select('tasks.id').whereRef('tasks.job_id', '=', 'jobs.id')).and(
        not(exists(selectFrom('tasks').select('tasks.id').whereRef('tasks.job_id', '=', 'jobs.id').where('tasks.status', 'in', ['queued', 'running']))),
      ),
    )
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Ends the steps of these tasks still marked running with `status`. */
export async function endRunningSteps(db: Db, taskIds: string[], status: StepStatus, now: string): Promise<void> {
  if (taskIds.length === 0) return;
  await db.updateTable('steps').set({ status, stopped_at: now }).where('task_id', 'in', taskIds).where('status', '=', 'running').execute();
}

/** Ends the queued tasks of a job and asks its running ones to stop; returns the ids of those running. */
export async function cancelTasksOfJob(db: Db, jobId: string, now: string): Promise<string[]> {
  await db.updateTable('tasks').set({ status: 'canceled', stopped_at: now }).where('job_id', '=', jobId).where('status', '=', 'queued').execute();
  const running = await db.updateTable('tasks').set({ cancel_requested: 1 }).where('job_id', '=', jobId).where('status', '=', 'running').returning('id').execute();
  return running.map((r) => r.id);
}

/** Jobs with a queued docker task whose messages do not yet contain `note` (at most `limit`). */
export async function queuedDockerJobsWithout(db: Db, note: string, limit: number): Promise<{ id: string; messages: string }[]> {
  // From the partial index tasks_queued_docker (migration 0021), by name on SQLite (as the
  // claim queue's): idle agents without docker ask this every few seconds, and a long queue
  // of other tasks made each a scan of the whole queue. Literals make the index usable.
  const from = isPostgres(db) ? sql`tasks t` : sql`tasks t indexed by tasks_queued_docker`;
  const { rows } = await sql<{ id: string; messages: string }>`select distinct j.id, j.messages from ${from} join jobs j on j.id = t.job_id
    where t.status = 'queued' and t.executor = 'docker' and j.messages not like ${`%${note}%`} limit ${limit}`.execute(db);
  return rows;
}

/** Replaces a job's messages unless they already contain `note` (another replica wrote it). */
export async function setJobMessagesUnlessNoted(db: Db, jobId: string, messages: string, note: string): Promise<void> {
  await db.updateTable('jobs').set({ messages }).where('id', '=', jobId).where('messages', 'not like', `%${note}%`).execute();
}

/** What a task payload names beside the job: its workflow, pipeline, project, organization and actor. */
export const OWNER_COLUMNS = [
  'w.name as wf_name',
  'w.rerun_of as wf_rerun_of',
  'p.number as p_number',
  'p.branch as p_branch',
  'p.tag as p_tag',
  'p.revision as p_revision',
  'p.pipeline_values as p_values',
  'p.vcs as p_vcs',
  'pr.name as pr_name',
  'pr.vcs_url as pr_vcs_url',
  'pr.organization_id as pr_org_id',
  'o.name as org_name',
  'o.vcs_type as org_vcs_type',
  'u.login as actor_login',
] as const;
export const OWNER_JOINS = `from jobs j join workflows w on w.id = j.workflow_id join pipelines p on p.id = j.pipeline_id join projects pr on pr.id = j.project_id
  join organizations o on o.id = pr.organization_id left join users u on u.id = p.trigger_actor_id`;

const jobWithOwnersById = preparedFirst((db: Db, jobId: string) =>
  db
    .selectFrom('jobs as j')
    .innerJoin('workflows as w', 'w.id', 'j.workflow_id')
    .innerJoin('pipelines as p', 'p.id', 'j.pipeline_id')
    .innerJoin('projects as pr', 'pr.id', 'j.project_id')
    .innerJoin('organizations as o', 'o.id', 'pr.organization_id')
    .leftJoin('users as u', 'u.id', 'p.trigger_actor_id')
    .selectAll('j')
    .select(OWNER_COLUMNS)
    .where('j.id', '=', jobId),
);

export type JobWithOwners = NonNullable<Awaited<ReturnType<typeof jobWithOwnersById>>>;

/** A job with what an agent is told of its workflow, pipeline, project, organization and actor: one query. */
export async function jobWithOwners(db: Db, jobId: string): Promise<JobWithOwners> {
  const row = await jobWithOwnersById(db, jobId);
  if (!row) throw new Error(`job ${jobId} not found`);
  return row;
}

/** A job's messages when they contain `note`, else undefined. */
export async function jobMessagesNoting(db: Db, jobId: string, note: string): Promise<string | undefined> {
  const job = await db.selectFrom('jobs').select('messages').where('id', '=', jobId).where('messages', 'like', `%${note}%`).executeTakeFirst();
  return job?.messages;
}

export async function setJobMessages(db: Db, jobId: string, messages: string): Promise<void> {
  await db.updateTable('jobs').set({ messages }).where('id', '=', jobId).execute();
}
