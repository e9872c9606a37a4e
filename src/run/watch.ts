// Follows one pipeline in the run's store and turns what changed into RunEvents: jobs
// starting and ending, each node's steps and their output (masked by the agent, as it is
// stored for the server's API), workflows ending. Polls the embedded SQLite database, which
// costs a few queries per tick.
import type { Database } from '../storage/db.ts';
import { inTransaction, type Db } from '../storage/executor.ts';
import { jobsOfPipeline } from '../storage/local-run.ts';
import type { Job, Task } from '../storage/jobs.ts';
import { tasksOfJobs } from '../storage/jobs.ts';
import { outputOfStep, stepsOfTasks, type Step } from '../storage/steps.ts';
import { workflowsOfPipeline, type Workflow } from '../storage/workflows.ts';
import type { JobRef, RunEvent } from './events.ts';

const TERMINAL_JOB = new Set(['success', 'failed', 'infrastructure_fail', 'timedout', 'canceled', 'not_run', 'unauthorized']);
const TERMINAL_WORKFLOW = new Set(['failed', 'success', 'canceled', 'error', 'not_run', 'unauthorized']);
const ms = (from: string | null, to: string | null) => (from && to ? Math.max(0, Date.parse(to) - Date.parse(from)) : 0);

interface StepCursor {
  started: boolean;
  ended: boolean;
  seq: number;
}

export class PipelineWatcher {
  private readonly jobStatus = new Map<string, string>();
  private readonly startedJobs = new Set<string>();
  private readonly steps = new Map<string, StepCursor>();
  private readonly endedWorkflows = new Set<string>();
  workflows: Workflow[] = [];
  jobs: Job[] = [];

  constructor(
    private readonly database: Database,
    private readonly pipelineId: string,
    private readonly emit: (e: RunEvent) => void,
  ) {}

  /** Whether every workflow has ended. */
  get done(): boolean {
    return this.workflows.length > 0 && this.workflows.every((w) => TERMINAL_WORKFLOW.has(w.status)) && this.jobs.every((j) => TERMINAL_JOB.has(j.status));
  }

  /**
   * Reads the pipeline's state once and emits what changed since the last tick. One read
   * transaction: jobs, tasks and steps are of one moment (else a job could be seen started
   * before the one whose end let it start is seen ended).
   */
  tick(): Promise<void> {
    return inTransaction(this.database.db, (trx) => this.tickIn(trx));
  }

  private async tickIn(db: Db): Promise<void> {
    await this.load(db);
    const wfName = new Map(this.workflows.map((w) => [w.id, w.name]));
    const active = this.jobs.filter((j) => !TERMINAL_JOB.has(this.jobStatus.get(j.id) ?? '') && j.type === 'build');
    const tasks = await tasksOfJobs(db, active.map((j) => j.id));
    const byJob = new Map<string, Task[]>();
    for (const t of tasks) byJob.set(t.job_id, [...(byJob.get(t.job_id) ?? []), t]);
    const started = tasks.filter((t) => t.status !== 'queued');
    const steps = await stepsOfTasks(db, started.map((t) => t.id));
    // Jobs already started first: what ended is reported before what its end let start.
    const ordered = [...this.jobs.filter((j) => this.startedJobs.has(j.id)), ...this.jobs.filter((j) => !this.startedJobs.has(j.id))];
    for (const job of ordered) {
      const ref = { workflow: wfName.get(job.workflow_id) ?? '', job: job.name, nodes: job.parallelism };
      for (const task of (byJob.get(job.id) ?? []).filter((t) => t.status !== 'queued').sort((a, b) => a.node_index - b.node_index)) {
        if (!this.startedJobs.has(job.id)) {
          this.startedJobs.add(job.id);
          this.emit({ type: 'job_started', ...ref, node: task.node_index });
        }
        await this.followSteps(db, { ...ref, node: task.node_index }, task.id, steps);
      }
      const before = this.jobStatus.get(job.id);
      if (before === job.status) continue;
      this.jobStatus.set(job.id, job.status);
      if (job.status === 'on_hold') this.emit({ type: 'approval', workflow: ref.workflow, job: job.name, decision: 'pending' });
      if (TERMINAL_JOB.has(job.status)) {
        const message = (JSON.parse(job.messages) as { message?: string }[]).map((m) => m.message).filter(Boolean).join('; ');
        this.emit({ type: 'job_ended', workflow: ref.workflow, job: job.name, status: job.status, ms: ms(job.started_at, job.stopped_at), ...(message ? { message } : {}) });
      }
    }
    for (const wf of this.workflows) {
      if (!TERMINAL_WORKFLOW.has(wf.status) || this.endedWorkflows.has(wf.id)) continue;
      if (this.jobs.some((j) => j.workflow_id === wf.id && !TERMINAL_JOB.has(j.status))) continue;
      this.endedWorkflows.add(wf.id);
      this.emit({ type: 'workflow_ended', workflow: wf.name, status: wf.status, ms: ms(wf.created_at, wf.stopped_at) });
    }
  }

  private async followSteps(db: Db, ref: JobRef, taskId: string, steps: Step[]): Promise<void> {
    for (const step of steps.filter((s) => s.task_id === taskId)) {
      const key = `${taskId}/${step.step_index}`;
      let cur = this.steps.get(key);
      if (!cur) this.steps.set(key, (cur = { started: false, ended: false, seq: -1 }));
      if (cur.ended) continue;
      if (!cur.started) {
        cur.started = true;
        this.emit({ type: 'step_started', ...ref, step: step.step_index, name: step.name });
      }
      // Read once more after the step ended: its last output is stored before its end.
      const ending = step.status !== 'running';
      for (const chunk of await outputOfStep(db, taskId, step.step_index, cur.seq)) {
        cur.seq = chunk.seq;
        this.emit({ type: 'output', ...ref, step: step.step_index, stream: chunk.stream === 'err' ? 'err' : 'out', data: chunk.data });
      }
      if (ending) {
        cur.ended = true;
        this.emit({ type: 'step_ended', ...ref, step: step.step_index, name: step.name, status: step.status, exit_code: step.exit_code, ms: ms(step.started_at, step.stopped_at) });
      }
    }
  }

  /** Reads the pipeline's workflows and jobs without reporting anything. */
  async load(db: Db = this.database.db): Promise<void> {
    this.workflows = await workflowsOfPipeline(db, this.pipelineId);
    this.jobs = await jobsOfPipeline(db, this.pipelineId);
  }

  /** Approval jobs waiting for a decision. */
  onHold(): { workflow: Workflow; job: Job }[] {
    return this.jobs.filter((j) => j.status === 'on_hold').map((job) => ({ workflow: this.workflows.find((w) => w.id === job.workflow_id)!, job }));
  }
}
