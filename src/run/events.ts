// What a local run reports, in order: the terminal views and `--json` read these.

export interface JobRef {
  workflow: string;
  job: string;
  /** Node index of a parallel job (0 otherwise). */
  node: number;
  /** Nodes the job runs on (its parallelism). */
  nodes: number;
}

export type RunEvent =
  | { type: 'run_started'; pipeline: number; branch: string | null; tag: string | null; revision: string; working_tree: boolean; dirty: boolean; workflows: { name: string; jobs: { name: string; type: string; requires: string[] }[] }[] }
  | ({ type: 'job_started' } & JobRef)
  | ({ type: 'step_started'; step: number; name: string } & JobRef)
  | ({ type: 'output'; step: number; stream: 'out' | 'err'; data: string } & JobRef)
  | ({ type: 'step_ended'; step: number; name: string; status: string; exit_code: number | null; ms: number } & JobRef)
  | { type: 'job_ended'; workflow: string; job: string; status: string; ms: number; message?: string }
  | { type: 'approval'; workflow: string; job: string; decision: 'pending' | 'approved' | 'stopped' }
  | { type: 'workflow_ended'; workflow: string; status: string; ms: number }
  | { type: 'run_ended'; status: 'success' | 'failed' | 'stopped' | 'canceled'; exit_code: number; ms: number; out: string; summary: JobSummary[]; phases: RunPhases };

/**
 * Where the run's time went, in ms: `startup` from the process start to the run's start (the
 * modules loading), `prepare` the snapshot and the config, `store` the throw-away store and
 * app, `trigger` the pipeline's compile and records, `jobs` until the workflows ended, `finish`
 * collecting the output.
 */
export interface RunPhases {
  startup: number;
  prepare: number;
  store: number;
  trigger: number;
  jobs: number;
  finish: number;
}

export interface JobSummary {
  workflow: string;
  job: string;
  status: string;
  ms: number;
  tests: { total: number; failed: number; skipped: number };
  artifacts: number;
  /** The job's folder under --out. */
  dir: string;
}

export interface Reporter {
  event(e: RunEvent): void;
  /** Asks a yes/no question on the terminal (approval jobs); absent when there is none. */
  prompt?(question: string): Promise<boolean>;
  /** Stops any live view; called once at the end. */
  close(): void | Promise<void>;
}
