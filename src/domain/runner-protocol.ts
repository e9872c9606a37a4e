// The runner protocol's message types (docs/runner-protocol.md), shared by the server
// (src/engine, src/http) and the agent (src/agent), which may not import each other.

/** What an agent receives for a claimed task. */
export interface TaskPayload {
  task: { id: string; node_index: number; parallelism: number; lease_ms: number };
  job: { id: string; number: number | null; name: string; config: Record<string, unknown>; executor: string; resource_class: string; ssh_enabled: boolean };
  workflow: { id: string; name: string; workspace_id: string };
  pipeline: { id: string; number: number; branch: string | null; tag: string | null; revision: string | null; values: Record<string, unknown> };
  project: { id: string; slug: string; organization: string; repository: string; vcs_url: string };
  /** CircleCI's built-in variables (CIRCLE_*, CI, CIRCLECI). */
  environment: Record<string, string>;
}

/** A task's secrets, fetched separately from its payload. */
export interface TaskSecrets {
  /** Project env vars, then context vars (later wins), as CircleCI orders them. */
  environment: Record<string, string>;
  /** The preferred checkout key's private half, when the project has one. */
  checkout_key: string | null;
  /**
   * The password (HTTP Basic) for fetching the project from the server's mirror at
   * `<server>/git/<project id>.git`; valid while the task runs, for its project only.
   */
  checkout_credential: string;
}

/** How a task (one parallel run of a job) ended. */
export type TaskResult = 'success' | 'failed' | 'infrastructure_fail' | 'timedout' | 'canceled';

/** How a step ended. */
export type StepStatus = 'success' | 'failed' | 'canceled' | 'timedout';
