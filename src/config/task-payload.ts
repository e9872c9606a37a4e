// What a claimed task carries to an agent: the runner protocol's claim answer
// (docs/runner-protocol.md). It lives beside the compiled job it carries: the server (src/engine,
// src/http) and the agent (src/agent) may both import config, and src/domain imports nothing.
// The rest of the protocol's messages are in src/domain/runner-protocol.ts.
import type { BuildJob } from './compiled.ts';

export interface TaskPayload {
  /** `credential`: the task credential every later runner call for this task presents (header `x-circlet-task-credential`). */
  task: { id: string; node_index: number; parallelism: number; lease_ms: number; credential: string };
  job: {
    id: string;
    number: number | null;
    name: string;
    /** The compiled job, typed (compiled.ts), as JSON. */
    config: BuildJob;
    /** The job's executor kind as the server queued it (`config.executor.kind`; `none` for no executor). */
    executor: string;
    resource_class: string;
    ssh_enabled: boolean;
  };
  workflow: { id: string; name: string; workspace_id: string };
  pipeline: { id: string; number: number; branch: string | null; tag: string | null; revision: string | null; values: Record<string, unknown> };
  project: { id: string; slug: string; organization: string; repository: string; vcs_url: string };
  /** CircleCI's built-in variables (CIRCLE_*, CI, CIRCLECI). */
  environment: Record<string, string>;
}
