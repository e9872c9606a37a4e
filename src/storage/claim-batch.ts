// Claims of several agents in one statement (PostgreSQL): when agents ask for work at the same
// time, the claims waiting behind one in flight go to the database together, so their
// round trips, plans, lock work and commits are shared instead of paid per claim (each
// claim is still one task for one agent, never one task for two). SQLite runs them one by
// one (its single writer serialises them anyway).
import { sql } from 'kysely';
import { isPostgres, SERVER_PREPARED, type Db } from './executor.ts';
import type { Task } from './jobs.ts';
import { claimQueuedTask, OWNER_COLUMNS, resourceClassCondition, OWNER_JOINS, type ClaimedTask, type ClaimFilter, type JobWithOwners, type TaskOwner } from './tasks.ts';

/** Which queued tasks the claimers of a batch may take (the same for all of them). */
export type BatchFilter = Omit<ClaimFilter, 'agentId'>;

export interface Claimer {
  agentId: string;
  owner: TaskOwner;
}

/**
 * Claims up to one task for each claimer, oldest queued first, in the claimers' order: the
 * answer holds each claimer's task, or undefined once the queue (or what other claimers have
 * not locked) runs out. Each task's job starts; each pipeline's first claim is marked once.
 */
export async function claimQueuedTasks(db: Db, filter: BatchFilter, claimers: readonly Claimer[], now: string, leaseUntil: string): Promise<(ClaimedTask | undefined)[]> {
  if (claimers.length === 0 || filter.executors.length === 0) return claimers.map(() => undefined);
  if (!isPostgres(db) || claimers.length === 1) {
    const out: (ClaimedTask | undefined)[] = [];
    for (const c of claimers) out.push(await claimQueuedTask(db, { ...filter, agentId: c.agentId }, now, leaseUntil, c.owner));
    return out;
  }
  const classes = resourceClassCondition(filter.resourceClasses);
  // The claimers as one JSON parameter (the driver's escaping of text arrays cost more).
  const claimersJson = JSON.stringify(claimers.map((c) => [c.agentId, c.owner.runnerTokenId, c.owner.credentialHash]));
  // The picked tasks are numbered in queue order and matched to the claimers by number. As
  // in claimQueuedTask: SKIP LOCKED on tasks and jobs, the job row read as it was before the
  // claim, the pipeline's first claim set by a guarded update.
  const { rows } = await sql<Task & { n: string; owners: JobWithOwners; first_of: string | null }>`${sql.raw(SERVER_PREPARED)}
    with w as (
      select e->>0 as agent_id, e->>1 as runner_token_id, e->>2 as credential_hash, n
      from json_array_elements(${claimersJson}::json) with ordinality as x(e, n)
    ), p as (
      select q.id, row_number() over (order by q.queued_at, q.id) as n from (
        select t.id, t.queued_at from tasks t
        where t.status = 'queued' and t.executor = any(${[...filter.executors]}) and ${classes}
        order by t.queued_at, t.id limit ${claimers.length} for update skip locked
      ) q
    ), c as (
      update tasks set status = 'running', agent_id = w.agent_id, lease_expires_at = ${leaseUntil}, started_at = ${now},
        runner_token_id = w.runner_token_id, credential_hash = w.credential_hash
      from p join w on w.n = p.n
      where tasks.id = p.id and tasks.status = 'queued'
      returning tasks.*, p.n
    ), s as (
      update jobs set status = 'running', started_at = coalesce(started_at, ${now})
      where id in (select id from jobs where id in (select job_id from c) and status = 'queued' for update skip locked)
      returning id
    ), f as (
      update pipelines set first_claim_at = ${now}
      where id in (select pipeline_id from jobs where id in (select job_id from c)) and first_claim_at is null
      returning id, created_at
    )
    select c.*, row_to_json(o) as owners, (select created_at from f where f.id = o.pipeline_id) as first_of from c cross join lateral (
      select j.*, ${sql.raw(OWNER_COLUMNS.join(', '))} ${sql.raw(OWNER_JOINS)} where j.id = c.job_id
    ) o`.execute(db);
  const out: (ClaimedTask | undefined)[] = claimers.map(() => undefined);
  // A pipeline whose first claim this was has it said of one task only (the first in queue order).
  const firstSeen = new Set<string>();
  for (const row of [...rows].sort((a, b) => Number(a.n) - Number(b.n))) {
    const { n, owners, first_of, ...task } = row;
    const first = first_of !== null && !firstSeen.has(owners.pipeline_id);
    if (first) firstSeen.add(owners.pipeline_id);
    out[Number(n) - 1] = first ? { task, job: owners, firstOfPipeline: first_of } : { task, job: owners };
  }
  return out;
}
