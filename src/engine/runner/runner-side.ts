// The runner-facing part of the engine: what the runner protocol routes call. Every method
// takes the agent's id, and fails with LEASE_LOST (domain/errors.ts) when the task is not running on it.
import type { Readable } from 'node:stream';
import type { StepStatus } from '../../domain/runner-protocol.ts';
import { CircletError } from '../../domain/errors.ts';
import type { Task } from '../../storage/jobs.ts';
import { getTask } from '../../storage/jobs.ts';
import type { ClaimedTask } from '../../storage/tasks.ts';
import type { EngineDeps } from '../deps.ts';
import { AgentRegistry } from './agents.ts';
import { agentMatches, type TaskClass } from '../events.ts';
import type { OidcIssuer } from '../oidc/issuer.ts';
import { checkoutAllowed, runningTaskWithCredential } from './checkout-credential.ts';
import { appendOutput, claimTask, clearDockerWaitNote, completeTask, endStep, heartbeat, noteJobsWaitingForDocker, startStep, type AgentCapabilities, type TaskResult } from './claims.ts';
import { findCache, saveArtifact, saveCache, saveTestResults, saveWorkspaceLayer, timingsFor, workspaceLayersFor, type TestCase } from './outputs.ts';
import { recordRelease, type ReleaseCall } from './releases.ts';
import { heldBy, newTaskCredential, type TaskHolder } from './task-credential.ts';
import { taskPayload, taskSecrets, type TaskPayload, type TaskSecrets } from './task-payload.ts';

/** With events shared across replicas a missed wake-up is rare: idle agents re-check this seldom. */
const SHARED_POLL_MS = 5_000;
const ABORTED = Symbol('aborted');
const TIMEOUT = Symbol('timeout');

export class RunnerSide {
  /** When each agent without docker last had waiting docker jobs noted (throttle). */
  private readonly dockerNotes = new Map<string, number>();
  /** The agents this replica has heard from (metrics, runner API v3). */
  readonly agents: AgentRegistry;

  constructor(
    private readonly deps: EngineDeps,
    private readonly oidc: OidcIssuer,
  ) {
    this.agents = new AgentRegistry(deps.now);
  }

  /**
   * Long-polls for a task: claims at once when one is queued, else waits for new tasks
   * (signalled in-process, and re-checked every `pollMs` for other replicas) up to `waitMs`.
   * A claimed task comes with its task credential (shown here only; see task-credential.ts).
   */
  async claim(agent: AgentCapabilities, waitMs: number, signal?: AbortSignal, pollMs = 500): Promise<(ClaimedTask & { credential: string }) | undefined> {
    const { credential, hash } = newTaskCredential();
    const deadline = Date.now() + waitMs;
    const last = this.dockerNotes.get(agent.agentId) ?? 0;
    if (!agent.executors.includes('docker') && Date.now() - last > 5_000) {
      if (this.dockerNotes.size > 1_000) this.dockerNotes.clear();
      this.dockerNotes.set(agent.agentId, Date.now());
      await noteJobsWaitingForDocker(this.deps, agent).catch(() => 0);
    }
    for (;;) {
      const claimed = await claimTask(this.deps, agent, hash);
      if (claimed) {
        this.agents.used(agent.agentId);
        this.deps.observer?.taskClaimed(claimed.task, claimed.firstOfPipeline);
        if (claimed.task.executor === 'docker') await clearDockerWaitNote(this.deps, claimed.task.job_id);
        return { ...claimed, credential };
      }
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return undefined;
      // Woken by tasks of a class this agent runs (from any replica); the poll is a safety net.
      await this.waitFor('tasks', Math.min(left, this.deps.events.shared ? Math.max(pollMs, SHARED_POLL_MS) : pollMs), signal, (classes) => !Array.isArray(classes) || classes.length === 0 || classes.some((c) => agentMatches(agent, c as TaskClass)));
    }
  }

  /** Resolves on the event (one `accept` takes, when given), after `ms`, or on abort, whichever is first. */
  waitFor(event: 'tasks' | 'cancel' | 'job', ms: number, signal?: AbortSignal, accept?: (arg: unknown) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = (arg?: unknown) => {
        if (accept && arg !== ABORTED && arg !== TIMEOUT && !accept(arg)) return;
        clearTimeout(timer);
        this.deps.events.off(event, done);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => done(ABORTED);
      const timer = setTimeout(() => done(TIMEOUT), ms);
      this.deps.events.on(event, done);
      signal?.addEventListener('abort', onAbort);
    });
  }

  /** What the agent runs for a task it claimed (its job row as the claim read it). */
  payload(claimed: ClaimedTask & { credential: string }): TaskPayload {
    return taskPayload(this.deps, claimed.task, claimed.credential, claimed.job);
  }

  /** The task's secrets (env vars, contexts, checkout key), for the agent running it. */
  async secrets(taskId: string, agentId: string): Promise<TaskSecrets> {
    const task = await this.ownTask(taskId, agentId);
    const secrets = await taskSecrets(this.deps, task);
    // The job's OIDC ID tokens travel with its secrets (masked in output like them).
    Object.assign(secrets.environment, await this.oidc.tokensForTask(task.id));
    return secrets;
  }

  /** The running task a job's own call names (task id and task credential), or undefined. */
  jobTask(taskId: string, credential: string): Promise<Task | undefined> {
    return runningTaskWithCredential(this.deps.database.db, taskId, credential);
  }

  heartbeat(taskId: string, agentId: string): Promise<{ cancel: boolean; leaseExpiresAt: string }> {
    return heartbeat(this.deps, taskId, agentId);
  }

  startStep(taskId: string, agentId: string, step: { index: number; name: string; type: string }): Promise<void> {
    return startStep(this.deps, taskId, agentId, step);
  }

  appendOutput(taskId: string, agentId: string, chunk: { index: number; seq: number; stream: string; data: string | Buffer }): Promise<void> {
    return appendOutput(this.deps, taskId, agentId, chunk);
  }

  endStep(taskId: string, agentId: string, step: { index: number; status: StepStatus; exitCode: number | null }): Promise<void> {
    return endStep(this.deps, taskId, agentId, step);
  }

  complete(taskId: string, agentId: string, result: TaskResult, message?: string): Promise<void> {
    return completeTask(this.deps, taskId, agentId, result, message);
  }

  /** True when the task is running and held by this runner token, agent and task credential. */
  async holds(taskId: string, holder: TaskHolder): Promise<boolean> {
    return heldBy(await getTask(this.deps.database.db, taskId), holder);
  }

  /** The task, when it is running on this agent. */
  async ownTask(taskId: string, agentId: string | undefined): Promise<Task> {
    const task = await getTask(this.deps.database.db, taskId);
    if (!task || task.status !== 'running' || task.agent_id !== agentId) throw new CircletError('LEASE_LOST');
    return task;
  }

  /** True when `credential` is running task `taskId`'s task credential and its job belongs to `projectId`. */
  checkoutAllowed(taskId: string, credential: string, projectId: string): Promise<boolean> {
    return checkoutAllowed(this.deps.database.db, taskId, credential, projectId);
  }

  saveArtifact(task: Task, artifactPath: string, body: Readable): Promise<{ path: string; size: number }> {
    return saveArtifact(this.deps, task, artifactPath, body);
  }

  saveTestResults(task: Task, tests: TestCase[]): Promise<number> {
    return saveTestResults(this.deps, task, tests);
  }

  findCache(task: Task, keys: string[]): Promise<{ key: string; blob_key: string; size: number } | undefined> {
    return findCache(this.deps, task, keys);
  }

  saveCache(task: Task, key: string, body: Readable): Promise<'saved' | 'exists'> {
    return saveCache(this.deps, task, key, body);
  }

  saveWorkspaceLayer(task: Task, body: Readable): Promise<number> {
    return saveWorkspaceLayer(this.deps, task, body);
  }

  workspaceLayers(task: Task): Promise<{ id: string; job_name: string; size: number; blob_key: string }[]> {
    return workspaceLayersFor(this.deps, task);
  }

  timings(task: Task): Promise<{ file: string; classname: string; name: string; run_time: number }[]> {
    return timingsFor(this.deps, task);
  }

  /** A release the running job plans, updates or logs (the in-job helper's `releases`); throws ReleaseRefused. */
  recordRelease(task: Task, call: ReleaseCall): Promise<string> {
    return recordRelease(this.deps, task, call);
  }
}
