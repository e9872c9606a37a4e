// Table types for Kysely. One schema serves SQLite and PostgreSQL: ids are UUID text,
// timestamps are ISO-8601 UTC text (sortable), booleans are 0/1 integers, JSON is text.
import type { OrgSchema } from './schema-orgs.ts';
import type { TestRunRow } from './insights.ts';
import type { DeliveryStatus, JobStatus, PipelineState, StepRowStatus, TaskStatus, WorkflowStatus } from '../domain/statuses.ts';

export interface UsersTable {
  id: string;
  login: string;
  name: string;
  avatar_url: string | null;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: string;
}

/** A dashboard session: the SHA-256 of the cookie's secret, never the secret. */
export interface WebSessionsTable {
  id_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
}

export interface OrganizationsTable {
  id: string;
  /** 'github' | 'bitbucket' | 'circleci' */
  vcs_type: string;
  name: string;
  created_at: string;
}

export interface MembershipsTable {
  organization_id: string;
  user_id: string;
  /** 'admin' | 'contributor' | 'viewer' */
  role: string;
  created_at: string;
}

export interface ProjectsTable {
  id: string;
  organization_id: string;
  name: string;
  vcs_url: string;
  default_branch: string;
  /** JSON text of the advanced settings circlet honours. */
  settings: string;
  created_at: string;
}

export interface ProjectEnvVarsTable {
  project_id: string;
  name: string;
  /** AES-256-GCM sealed value. */
  value_sealed: string;
  created_at: string;
}

export interface CheckoutKeysTable {
  id: string;
  project_id: string;
  /** 'deploy-key' | 'user-key' */
  type: string;
  public_key: string;
  private_key_sealed: string;
  fingerprint_md5: string;
  fingerprint_sha256: string;
  created_at: string;
}

export interface AdditionalSshKeysTable {
  id: string;
  project_id: string;
  hostname: string;
  fingerprint_md5: string;
  fingerprint_sha256: string;
  private_key_sealed: string;
  created_at: string;
}

export interface ProjectCountersTable {
  project_id: string;
  pipeline_number: number;
  job_number: number;
}

/** Pipeline states as the API reports them. */
export type { PipelineState };

export interface PipelinesTable {
  id: string;
  project_id: string;
  number: number;
  state: PipelineState;
  /** 'api' | 'webhook' | 'scheduled_pipeline' | 'explicit' */
  trigger_type: string;
  trigger_actor_id: string | null;
  trigger_received_at: string;
  branch: string | null;
  tag: string | null;
  revision: string | null;
  /** JSON: vcs block (provider_name, urls, revision, commit, review_id ...). */
  vcs: string;
  /** JSON: pipeline parameters as given by the trigger. */
  parameters: string;
  /** JSON: trigger parameters (webhook payload summary, schedule ids ...). */
  trigger_parameters: string;
  /** JSON: pipeline values (`pipeline.*`) the config was compiled with. */
  pipeline_values: string;
  /** JSON: [{type, message}] */
  errors: string;
  source_config: string;
  compiled_config: string;
  setup_config: string;
  compiled_setup_config: string;
  continuation_key_hash: string | null;
  /** null | 'pending' | 'used' */
  continuation_state: string | null;
  created_at: string;
  updated_at: string;
  /** When the pipeline's first task was claimed: set once, by that claim (migration 0021); a new pipeline has none. */
  first_claim_at?: string | null;
}

export interface WorkflowsTable {
  id: string;
  pipeline_id: string;
  project_id: string;
  name: string;
  status: WorkflowStatus;
  /** 'setup' for the setup workflow of a setup config. */
  tag: string | null;
  started_by: string;
  canceled_by: string | null;
  errored_by: string | null;
  rerun_of: string | null;
  created_at: string;
  stopped_at: string | null;
}

/** A copy of a workflow run for Insights (migration 0019: kept by triggers), with its pipeline's branch. */
export interface InsightsWorkflowRunsTable {
  workflow_id: string;
  project_id: string;
  name: string;
  status: WorkflowStatus;
  tag: string | null;
  branch: string | null;
  created_at: string;
  stopped_at: string | null;
}

/** A copy of a job run for Insights (migration 0019: kept by triggers), with its workflow's name, creation and tag and its pipeline's branch. */
export interface InsightsJobRunsTable {
  job_id: string;
  workflow_id: string;
  project_id: string;
  workflow_name: string;
  workflow_created_at: string;
  workflow_tag: string | null;
  branch: string | null;
  name: string;
  type: string;
  status: JobStatus;
  created_at: string;
  started_at: string | null;
  stopped_at: string | null;
}

/**
 * A test result with its job, workflow and pipeline, in a project's creation order (migration
 * 0029: kept by a trigger on test_results), for flaky tests; and by workflow name, branch and
 * run (migration 0030), for test metrics.
 */
export interface InsightsTestRunsTable extends TestRunRow {
  test_id: string;
  project_id: string;
  /** The pipeline's branch (it follows the pipeline's). */
  branch: string | null;
}

export interface JobsTable {
  id: string;
  workflow_id: string;
  pipeline_id: string;
  project_id: string;
  name: string;
  /** 'build' | 'approval' | 'no-op' */
  type: string;
  status: JobStatus;
  number: number | null;
  /** JSON: [{job_id, name, statuses}] */
  requires: string;
  /** JSON: the compiled job (executor, steps, environment ...). */
  config: string;
  /** JSON: context names. */
  contexts: string;
  /** 'docker' | 'machine' | 'macos' | 'windows' | 'none' */
  executor: string;
  resource_class: string;
  parallelism: number;
  approval_request_id: string | null;
  approved_by: string | null;
  canceled_by: string | null;
  /** JSON: [{type, message, reason?}] */
  messages: string;
  created_at: string;
  queued_at: string | null;
  started_at: string | null;
  stopped_at: string | null;
}

/** One parallel run of a job: what an agent claims. */
export interface TasksTable {
  id: string;
  job_id: string;
  node_index: number;
  status: TaskStatus;
  resource_class: string;
  executor: string;
  agent_id: string | null;
  lease_expires_at: string | null;
  cancel_requested: number;
  queued_at: string;
  started_at: string | null;
  stopped_at: string | null;
  message: string | null;
  /** SHA-256 of the task credential handed out with the claim (null while queued). */
  credential_hash?: string | null;
  /** The runner token that claimed the task. */
  runner_token_id?: string | null;
}

/** A self-hosted resource class `namespace/name`, owned by the organization that created it. */
export interface ResourceClassesTable {
  name: string;
  organization_id: string;
  created_at: string;
  /** UUID; the runner API v3 names classes by it. */
  id: string;
  description: string;
}

export interface StepsTable {
  task_id: string;
  step_index: number;
  name: string;
  type: string;
  status: StepRowStatus;
  exit_code: number | null;
  started_at: string;
  stopped_at: string | null;
  output_bytes: number;
  truncated: number;
}

export interface StepOutputTable {
  task_id: string;
  step_index: number;
  seq: number;
  /** 'out' | 'err' */
  stream: string;
  data: string;
  at: string;
}

export interface ContextsTable {
  id: string;
  organization_id: string;
  name: string;
  created_at: string;
}

export interface ContextEnvVarsTable {
  context_id: string;
  name: string;
  value_sealed: string;
  created_at: string;
  updated_at: string;
}

export interface ContextRestrictionsTable {
  id: string;
  context_id: string;
  /** 'project' | 'expression' | 'group' */
  restriction_type: string;
  restriction_value: string;
  name: string | null;
  created_at: string;
}

export interface RunnerTokensTable {
  id: string;
  token_hash: string;
  name: string;
  resource_class: string;
  created_at: string;
}

export interface ArtifactsTable {
  id: string;
  job_id: string;
  node_index: number;
  path: string;
  size: number;
  blob_key: string;
  created_at: string;
}

export interface TestResultsTable {
  id: string;
  project_id: string;
  job_id: string;
  node_index: number;
  name: string;
  classname: string;
  file: string;
  /** 'success' | 'failure' | 'skipped' | 'error' */
  result: string;
  message: string;
  /** Seconds. */
  run_time: number;
  /** The results file (relative to the stored path) the test came from. */
  source: string;
  created_at: string;
}

export interface CachesTable {
  project_id: string;
  key: string;
  blob_key: string;
  size: number;
  created_at: string;
}

export interface WorkspaceLayersTable {
  id: string;
  /** The workflow's workspace id (the original workflow's id across reruns). */
  workspace_id: string;
  job_id: string;
  job_name: string;
  node_index: number;
  blob_key: string;
  size: number;
  created_at: string;
}

export interface WebhooksTable {
  id: string;
  /** The project the webhook is scoped to. */
  project_id: string;
  name: string;
  url: string;
  verify_tls: number;
  /** AES-256-GCM sealed signing secret. */
  signing_secret_sealed: string;
  /** JSON: event names ('workflow-completed' | 'job-completed'). */
  events: string;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  /** The payload's `id`: one per event and webhook, stable across attempts. */
  event_id: string;
  event_type: string;
  /** The exact body sent (and signed). */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  /** When a pending delivery is due, or when a delivering one's claim lapses. */
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface ProjectHookSecretsTable {
  project_id: string;
  /** AES-256-GCM sealed secret incoming git-forge webhooks are checked against. */
  secret_sealed: string;
  created_at: string;
}

/** A scheduled pipeline (Schedule API). */
export interface SchedulesTable {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  /** JSON: the timetable as CircleCI's API shapes it (`per-hour`, `hours-of-day` ...). */
  timetable: string;
  /** JSON: pipeline parameters, including the `branch` or `tag` the pipelines run on. */
  parameters: string;
  /** 'current' | 'system' */
  attribution_actor: string;
  /** The user pipelines run as when attribution is 'current'. */
  actor_user_id: string | null;
  /** The next due time; null when the timetable can never match again. */
  next_run_at: string | null;
  /** The due time of the last run a scheduler claimed. */
  last_claimed_run_at: string | null;
  created_at: string;
  updated_at: string;
  /** The pipeline definition it runs; null: the default `.circleci/config.yml`. */
  definition_id: string | null;
}

export interface ProjectFollowsTable {
  user_id: string;
  project_id: string;
  created_at: string;
}

export interface PipelineDefinitionsTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  /** `github_oauth`, `github_app`, `bitbucket_oauth` or `circleci`: as given, shown back. */
  config_provider: string;
  /** The config file in the project's repository, e.g. `.circleci/config.yml`. */
  config_file_path: string;
  checkout_provider: string;
  created_at: string;
  updated_at: string;
}

export interface PipelineTriggersTable {
  id: string;
  project_id: string;
  definition_id: string;
  /** The event source: the project's forge webhook (`github_oauth`, `github_app`, …). */
  provider: string;
  event_name: string | null;
  /** CircleCI's event preset (`all-pushes`, `only-tags`, …); null: every event circlet builds. */
  event_preset: string | null;
  checkout_ref: string | null;
  config_ref: string | null;
  /** JSON: `{branches?: {only?, ignore?}, tags?: {only?, ignore?}}` (circlet extension). */
  filters: string;
  /** JSON: pipeline parameters of the runs it starts (circlet extension). */
  parameters: string;
  disabled: number;
  created_at: string;
  updated_at: string;
}

export interface UsageExportsTable {
  id: string;
  organization_id: string;
  start_at: string;
  end_at: string;
  /** JSON: the organization ids whose usage it covers (the requester's first). */
  organization_ids: string;
  /** 'created' | 'processing' | 'completed' | 'failed' */
  state: string;
  file_count: number;
  row_count: number;
  error_reason: string | null;
  /** While a worker builds it: until when its claim holds. */
  lease_until: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
}

/** A blob in the database store: its chunks are `blob_chunks` rows of `upload_id`. */
export interface BlobObjectsTable {
  key: string;
  upload_id: string;
  /** bigint on PostgreSQL (the driver returns it as text). */
  size: number | string;
  created_at: string;
}

export interface BlobChunksTable {
  upload_id: string;
  n: number;
  data: Buffer;
  created_at: string;
}

/** Per-project retention of job outputs in days; null = the default. */
export interface ProjectRetentionTable {
  project_id: string;
  artifacts_days: number | null;
  caches_days: number | null;
  workspaces_days: number | null;
  updated_at: string;
}

/** A periodic duty that one replica runs per interval (claimed by moving `next_run_at`). */
export interface SweepsTable {
  name: string;
  next_run_at: string;
  last_run_at: string | null;
  last_removed: number;
}

/** A scheduled run claimed by a replica; `pipeline_id` is set in the trigger's transaction. */
export interface ScheduleRunsTable {
  schedule_id: string;
  due_at: string;
  claim_token: string;
  claimed_until: string;
  attempts: number;
  pipeline_id: string | null;
  created_at: string;
}

/** One security-relevant action (names only, never values). */
export interface AuditEventsTable {
  id: string;
  occurred_at: string;
  /** The organization the target belongs to; null for a user-level event (sign-in, token). */
  organization_id: string | null;
  /** The acting user; null for the server itself or an unknown caller (a failed sign-in). */
  actor_id: string | null;
  actor_login: string | null;
  /** e.g. 'env_var.created' */
  action: string;
  target_type: string;
  target_id: string | null;
  target_name: string | null;
  /** 'success' | 'failure' */
  outcome: string;
  /** 'api' | 'dashboard' | 'cli' | 'server' */
  source: string;
  ip: string | null;
  /** JSON object of names and flags (never secret values). */
  detail: string;
}

export interface Schema extends OrgSchema {
  users: UsersTable;
  project_follows: ProjectFollowsTable;
  api_tokens: ApiTokensTable;
  web_sessions: WebSessionsTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  projects: ProjectsTable;
  project_env_vars: ProjectEnvVarsTable;
  checkout_keys: CheckoutKeysTable;
  additional_ssh_keys: AdditionalSshKeysTable;
  project_counters: ProjectCountersTable;
  pipelines: PipelinesTable;
  workflows: WorkflowsTable;
  jobs: JobsTable;
  tasks: TasksTable;
  steps: StepsTable;
  step_output: StepOutputTable;
  contexts: ContextsTable;
  context_env_vars: ContextEnvVarsTable;
  context_restrictions: ContextRestrictionsTable;
  runner_tokens: RunnerTokensTable;
  resource_classes: ResourceClassesTable;
  rate_limits: RateLimitsTable;
  artifacts: ArtifactsTable;
  test_results: TestResultsTable;
  insights_workflow_runs: InsightsWorkflowRunsTable;
  insights_job_runs: InsightsJobRunsTable;
  insights_test_runs: InsightsTestRunsTable;
  caches: CachesTable;
  workspace_layers: WorkspaceLayersTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  project_hook_secrets: ProjectHookSecretsTable;
  schedules: SchedulesTable;
  pipeline_definitions: PipelineDefinitionsTable;
  pipeline_triggers: PipelineTriggersTable;
  usage_exports: UsageExportsTable;
  blob_objects: BlobObjectsTable;
  blob_chunks: BlobChunksTable;
  project_retention: ProjectRetentionTable;
  sweeps: SweepsTable;
  schedule_runs: ScheduleRunsTable;
  audit_events: AuditEventsTable;
}

/** One rate-limit window per key (http/rate-limit): requests counted until `reset_at` (epoch ms). */
export interface RateLimitsTable {
  key: string;
  count: number;
  reset_at: number;
}
