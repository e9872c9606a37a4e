// What the engine tells an observer (the metrics of http/metrics) as things happen. Calls
// are synchronous and must not throw; an observer that needs the database reads it later.
import type { Task } from '../storage/jobs.ts';

export interface FinishedJob {
  status: string;
  type: string;
  started_at: string | null;
  stopped_at: string | null;
}

export interface FinishedWorkflow {
  status: string;
  created_at: string;
  stopped_at: string | null;
}

export interface EngineObserver {
  /** A job reached a terminal status (read inside the transaction that finished it). */
  jobFinished(job: FinishedJob): void;
  workflowFinished(workflow: FinishedWorkflow): void;
  /** An agent claimed a task; `pipelineCreatedAt` when it was its pipeline's first claim. */
  taskClaimed(task: Task, pipelineCreatedAt?: string): void;
}
