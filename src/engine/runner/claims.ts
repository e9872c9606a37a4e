// The server side of the runner protocol: atomic claims, leases, step results and output,
// task completion, and reaping tasks whose agent went silent.
import { isUtf8 } from 'node:buffer';
import { nowIso } from '../../domain/clock.ts';
import { CircletError } from '../../domain/errors.ts';
import { inTransaction, type Db } from '../../storage/executor.ts';
import { getJob, getTask, type Task } from '../../storage/jobs.ts';
import { storeStepOutput } from '../../storage/step-output.ts';
import {
  claimQueuedTask,
  endLapsedTasks,
  endRunningSteps,
  extendLease,
  finishRunningTask,
  finishStep,
  insertRunningStep,
  jobsWithEndedTasks,
  jobMessagesNoting,
  queuedDockerJobsWithout,
  setJobMessages,
  setJobMessagesUnlessNoted,
  type ClaimedTask,
} from '../../storage/tasks.ts';
import { advanceWorkflow } from '../pipeline/advance.ts';
import { ClaimBatcher } from './claim-batcher.ts';
import { OutputOrder } from './output-order.ts';
import type { EngineDeps } from '../deps.ts';
import { recordCompletions, WEBHOOKS_EVENT } from '../services/webhooks.ts';

export interface AgentCapabilities {
  agentId: string;
  /** Executor kinds the agent runs: docker, machine, macos, windows. */
  executors: string[];
  /** Self-hosted resource classes (`ns/name`); null = CircleCI's cloud classes (no `/`). */
  resourceClasses: string[] | null;
  /** The runner token the agent presented. */
  runnerTokenId: string;
}

import type { StepStatus, TaskResult } from '../../domain/runner-protocol.ts';

export type { TaskResult };

function leaseUntil(deps: EngineDeps): string {
  return nowIso(new Date(deps.now().getTime() + deps.leaseMs));
}

/**
 * Claims the oldest queued task this agent can run, or returns undefined. A task is never
 * given to two agents (see claimQueuedTask).
 */
export async function claimTask(deps: EngineDeps, agent: AgentCapabilities, credentialHash: string): Promise<ClaimedTask | undefined> {
  const owner = { runnerTokenId: agent.runnerTokenId, credentialHash };
  if (deps.database.dialect !== 'postgres') return claimQueuedTask(deps.database.db, agent, nowIso(deps.now()), leaseUntil(deps), owner);
  // Claims arriving together share one statement (claim-batcher.ts).
  let batcher = batchers.get(deps);
  if (!batcher) batchers.set(deps, (batcher = new ClaimBatcher(deps)));
  return batcher.claim({ executors: agent.executors, resourceClasses: agent.resourceClasses }, { agentId: agent.agentId, owner });
}

const batchers = new WeakMap<EngineDeps, ClaimBatcher>();

/**
 * Extends the lease and tells the agent whether the task was canceled. Once a cancel is
 * requested the lease is no longer extended: the agent has what is left of it to stop and
 * report, after which the reaper records the task as canceled.
 */
export async function heartbeat(deps: EngineDeps, taskId: string, agentId: string): Promise<{ cancel: boolean; leaseExpiresAt: string }> {
  const lease = await extendLease(deps.database.db, taskId, agentId, leaseUntil(deps));
  if (!lease) throw new CircletError('LEASE_LOST');
  return lease;
}

async function ownTask(db: Db, taskId: string, agentId: string): Promise<Task> {
  const task = await getTask(db, taskId);
  if (!task || task.agent_id !== agentId || task.status !== 'running') throw new CircletError('LEASE_LOST');
  return task;
}

export async function startStep(deps: EngineDeps, taskId: string, agentId: string, step: { index: number; name: string; type: string }): Promise<void> {
  const db = deps.database.db;
  const task = await ownTask(db, taskId, agentId);
  await insertRunningStep(db, taskId, step, nowIso(deps.now()));
  deps.events.emit('job', task.job_id);
}

/**
 * Per-step cap on stored output; past it a truncation note is kept instead. 256 MiB: a step
 * printing 100 MB (a verbose build or test log; `npm run bench:run` measures one) is kept
 * whole, and the whole output of a step still reads back as one string well below V8's
 * string length limit (~512 MiB).
 */
export const STEP_OUTPUT_CAP = 256 * 1024 * 1024;

/** Text both databases store alike: NUL and unpaired surrogates become U+FFFD. */
function storableText(data: string): string {
  return data.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * Output sent as raw bytes: stored as they came when they are already storable text (valid
 * UTF-8 without NUL, checked in one pass each), so a large chunk is neither decoded here nor
 * encoded again for the database; else one UTF-8 decode (invalid sequences become U+FFFD, and
 * a decode never makes unpaired surrogates), then NUL → U+FFFD only when there is one.
 */
function storableBytes(data: Buffer): string | Buffer {
  if (data.indexOf(0) === -1 && isUtf8(data)) return data;
  const text = data.toString('utf8');
  return data.indexOf(0) === -1 ? text : text.replaceAll('\u0000', '\uFFFD');
}

/**
 * Appends a chunk of a step's output: text (the JSON route) or the raw bytes the program
 * printed (the raw route). `seq` is chosen by the agent (increasing per step), so a retried
 * request is stored once, and chunks are stored in its order even when an agent has two of a
 * step's chunks in flight.
 */
export async function appendOutput(deps: EngineDeps, taskId: string, agentId: string, chunk: { index: number; seq: number; stream: string; data: string | Buffer }): Promise<void> {
  // In seq order (output-order.ts). Another agent's chunk is refused at once; the task is
  // checked again by the store itself (the lease may end while a chunk waits its turn).
  const task = await ownTask(deps.database.db, taskId, agentId);
  let order = orders.get(deps);
  if (!order) orders.set(deps, (order = new OutputOrder(deps.database.db)));
  await order.run(taskId, chunk.index, chunk.seq, () => storeOutput(deps, task, agentId, chunk));
}

const orders = new WeakMap<EngineDeps, OutputOrder>();

const TRUNCATION_NOTE = `\n[circlet: output truncated at ${STEP_OUTPUT_CAP} bytes]\n`;

async function storeOutput(deps: EngineDeps, task: Task, agentId: string, chunk: { index: number; seq: number; stream: string; data: string | Buffer }): Promise<void> {
  const db = deps.database.db;
  // An empty raw body stores nothing; it only takes its turn (a later chunk need not wait for it).
  if (chunk.data.length === 0 && typeof chunk.data !== 'string') {
    await ownTask(db, task.id, agentId);
    return;
  }
  const data = typeof chunk.data === 'string' ? storableText(chunk.data) : storableBytes(chunk.data);
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  const stream = chunk.stream === 'err' ? 'err' : 'out';
  const result = await storeStepOutput(db, { taskId: task.id, agentId, index: chunk.index, seq: chunk.seq, stream, data, bytes, at: nowIso(deps.now()) }, { bytes: STEP_OUTPUT_CAP, note: TRUNCATION_NOTE });
  if (result === 'lease-lost') throw new CircletError('LEASE_LOST');
  // Live log streams of this job, on any replica, read the new output now.
  if (result !== 'skipped') deps.events.emit('job', task.job_id);
}

export async function endStep(deps: EngineDeps, taskId: string, agentId: string, step: { index: number; status: StepStatus; exitCode: number | null }): Promise<void> {
  const db = deps.database.db;
  const task = await ownTask(db, taskId, agentId);
  await finishStep(db, taskId, step, nowIso(deps.now()));
  deps.events.emit('job', task.job_id);
}

/** Records a task's result and advances its workflow. */
export async function completeTask(deps: EngineDeps, taskId: string, agentId: string, result: TaskResult, message?: string): Promise<void> {
  const jobId = await finishRunningTask(deps.database.db, taskId, agentId, result, message ?? null, nowIso(deps.now()));
  if (!jobId) throw new CircletError('LEASE_LOST');
  await finishJobOf(deps, jobId);
  deps.events.emit('job', jobId);
}

export async function finishJobOf(deps: EngineDeps, jobId: string): Promise<void> {
  let queued = 0;
  let hooks = 0;
  await inTransaction(deps.database.db, async (trx) => {
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
  const rows = await endLapsedTasks(deps.database.db, now, { lapsed: LEASE_LAPSED_MESSAGE, canceled: CANCEL_UNCONFIRMED_MESSAGE });
  // Steps the lost agent left open end with their task (canceled, or failed), not `running` forever.
  for (const ended of ['canceled', 'infrastructure_fail'] as const) {
    const ids = rows.filter((r) => r.status === ended).map((r) => r.id);
    await endRunningSteps(deps.database.db, ids, ended === 'canceled' ? 'canceled' : 'failed', now);
  }
  for (const jobId of new Set(rows.map((r) => r.job_id))) await finishJobOf(deps, jobId);
  // A task's result and its job's advance are two transactions (here and in completeTask): a
  // replica killed between them leaves a job whose tasks all ended, open for ever. Whichever
  // replica reaps next advances it (advancing twice is harmless).
  for (const jobId of await jobsWithEndedTasks(deps.database.db, 100)) await finishJobOf(deps, jobId);
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
  const waiting = await queuedDockerJobsWithout(db, DOCKER_WAIT_NOTE, 50);
  for (const j of waiting) {
    const note = {
      type: 'info',
      message: `${DOCKER_WAIT_NOTE}: agent ${agent.agentId} has none (start dockerd where the agent runs, or run the agent with --docker-on-host).`,
    };
    await setJobMessagesUnlessNoted(db, j.id, JSON.stringify([...(JSON.parse(j.messages) as unknown[]), note]), DOCKER_WAIT_NOTE);
  }
  return waiting.length;
}

/** A docker job an agent has claimed no longer waits: its "waits for a Docker engine" note goes. */
export async function clearDockerWaitNote(deps: EngineDeps, jobId: string): Promise<void> {
  const db = deps.database.db;
  const messages = await jobMessagesNoting(db, jobId, DOCKER_WAIT_NOTE);
  if (messages === undefined) return;
  const kept = (JSON.parse(messages) as { message?: string }[]).filter((m) => !m.message?.startsWith(DOCKER_WAIT_NOTE));
  await setJobMessages(db, jobId, JSON.stringify(kept));
}
