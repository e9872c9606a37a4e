// The runner protocol's message types (docs/runner-protocol.md), shared by the server
// (src/engine, src/http) and the agent (src/agent), which may not import each other.
// The claim answer (TaskPayload) carries the compiled job, so it is in src/config/task-payload.ts.

/** A task's secrets, fetched separately from its payload. */
export interface TaskSecrets {
  /** Project env vars, then context vars (later wins), as CircleCI orders them. */
  environment: Record<string, string>;
  /** The preferred checkout key's private half, when the project has one. */
  checkout_key: string | null;
  /** The project's additional SSH keys (v1.1 `…/ssh-key`), for `add_ssh_keys`; absent from older servers. */
  ssh_keys?: { hostname: string; fingerprint_md5: string; fingerprint_sha256: string; private_key: string }[];
}

/** How a task (one parallel run of a job) ended. */
export const TASK_RESULTS = ['success', 'failed', 'infrastructure_fail', 'timedout', 'canceled'] as const;
export type TaskResult = (typeof TASK_RESULTS)[number];

/** How a step ended. */
export type StepStatus = 'success' | 'failed' | 'canceled' | 'timedout';
