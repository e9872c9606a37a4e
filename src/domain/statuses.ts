// The status unions of the stored records, in one place: storage's row types, the engine's
// state machine (engine/pipeline/status.ts holds the rules over them), the HTTP presenters and
// the runner protocol all name these. A task's result (`TaskResult`) is in runner-protocol.ts.
import type { StepStatus, TaskResult } from './runner-protocol.ts';

/** A pipeline's state (CircleCI's `state`, plus circlet's setup stages). */
export type PipelineState = 'created' | 'errored' | 'setup-pending' | 'setup' | 'pending';

/** A workflow's status, derived from its jobs. */
export type WorkflowStatus = 'running' | 'failing' | 'failed' | 'success' | 'on_hold' | 'canceled' | 'error' | 'not_run' | 'unauthorized';

/** A job's status: its own lifecycle, then the outcome of its parallel runs. */
export type JobStatus = 'blocked' | 'queued' | 'running' | 'on_hold' | 'success' | 'failed' | 'infrastructure_fail' | 'timedout' | 'canceled' | 'not_run' | 'unauthorized';

/** One parallel run of a job: queued, claimed, then how it ended. */
export type TaskStatus = 'queued' | 'running' | TaskResult;

/** A stored step: running until the agent reports how it ended. */
export type StepRowStatus = 'running' | StepStatus;

/** A webhook delivery: waiting for its (next) attempt, claimed by a sender, or done. */
export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'failed';
