// The compiled form: the one typed description of work shared by the compiler, the engine, the
// runner protocol, the agent and the executors (as Woodpecker's pipeline/backend/types).
// Read-only, kind-tagged, plain JSON (it travels in the task payload as is).
//
// A compile produces two views of one result: the `version: 2` document (plain data in the
// config's own key order: what `config process` prints and what the engine stores per job) and
// this typed form, read from the document once by `read-compiled.ts`. Consumers use the typed
// form; only the renderer and storage see the document.

/** The `version: 2` document as plain data (maps, lists, scalars), in the config's key order. */
export type CompiledDocument = Readonly<Record<string, unknown>>;

/** An environment: names to values, in order (later entries won when the config repeated a name). */
export type Environment = Readonly<Record<string, string>>;

export interface CompiledConfig {
  readonly version: 2;
  /** Jobs by final name (approval jobs of workflows have no entry). */
  readonly jobs: Readonly<Record<string, CompiledJob>>;
  /** Workflows in config order. */
  readonly workflows: readonly CompiledWorkflow[];
  /** The document this was read from (rendered by `renderCompiled`). */
  readonly document: CompiledDocument;
}

export interface CompiledWorkflow {
  readonly name: string;
  /** True for a legacy scheduled workflow (`triggers:`): it runs only on its schedule. */
  readonly scheduled: boolean;
  readonly jobs: readonly WorkflowJob[];
}

/** A job's entry in a workflow. */
export interface WorkflowJob {
  /** Final name: a key of `CompiledConfig.jobs` (except approval jobs). */
  readonly name: string;
  readonly type?: string;
  readonly requires: readonly Requirement[];
  readonly contexts: readonly string[];
  /** `filters:` as compiled (branches/tags patterns or an expression); see `isFilteredIn`. */
  readonly filters?: unknown;
}

export interface Requirement {
  readonly name: string;
  /** As written (`success`, `failed`, `terminal`, ...); empty when none was given (success). */
  readonly statuses: readonly string[];
}

/** A compiled job: a build job run by an agent, or a job the engine settles itself. */
export type CompiledJob = BuildJob | SettledJob;

/** `type: approval | no-op | release`: nothing runs; the engine decides its status. */
export interface SettledJob {
  readonly kind: 'approval' | 'no-op' | 'release';
}

export interface BuildJob {
  readonly kind: 'build';
  readonly executor: JobExecutor;
  /** Job environment (executor's merged under the job's by the compiler). */
  readonly environment: Environment;
  /** An integer >= 1. */
  readonly parallelism: number;
  /** `medium` when not given. */
  readonly resource_class: string;
  readonly working_directory?: string;
  /** The job's `shell:` as written (e.g. `/bin/bash -eo pipefail`). */
  readonly shell?: string;
  readonly steps: readonly Step[];
}

export type ExecutorKind = JobExecutor['kind'];

export type JobExecutor = DockerExecutor | MachineExecutor | MacosExecutor | WindowsExecutor | NoExecutor;

export interface DockerExecutor {
  readonly kind: 'docker';
  /** The primary container first, then service containers. */
  readonly images: readonly DockerImage[];
}

export interface DockerImage {
  readonly image: string;
  /** Service container hostname. */
  readonly name?: string;
  /** A list is an argv; a string runs through `/bin/sh -c`. */
  readonly entrypoint?: string | readonly string[];
  readonly command?: string | readonly string[];
  readonly user?: string;
  readonly environment: Environment;
  readonly auth?: { readonly username: string; readonly password: string };
  readonly aws_auth?: { readonly aws_access_key_id?: string; readonly aws_secret_access_key?: string; readonly oidc_role_arn?: string };
}

export interface MachineExecutor {
  readonly kind: 'machine';
  readonly image?: string;
  readonly docker_layer_caching: boolean;
}

export interface MacosExecutor {
  readonly kind: 'macos';
  readonly xcode?: string;
}

export interface WindowsExecutor {
  readonly kind: 'windows';
}

/** A job with none of docker, machine, macos, windows (possible in a 2.0 config). */
export interface NoExecutor {
  readonly kind: 'none';
}

/**
 * A step. `when` steps are gone after a compile (their condition was decided and their steps
 * spliced in place), as are commands; what is left are built-in steps, plus `unknown` for what
 * the compiler passes through unread (a 2.0 config's unknown steps, a placeholder orb's commands).
 */
export type Step =
  | RunStep
  | CheckoutStep
  | SetupRemoteDockerStep
  | SaveCacheStep
  | RestoreCacheStep
  | PersistToWorkspaceStep
  | AttachWorkspaceStep
  | StoreArtifactsStep
  | StoreTestResultsStep
  | AddSshKeysStep
  | InstallSigningBundleStep
  | UnknownStep;

export type StepKind = Step['kind'];

interface StepBase {
  readonly name?: string;
  /** When the step runs, given how the job is doing: default `on_success`. */
  readonly when: 'always' | 'on_success' | 'on_fail';
}

/** `run`, or its deprecated alias `deploy`. */
export interface RunStep extends StepBase {
  readonly kind: 'run' | 'deploy';
  readonly command: string;
  readonly shell?: string;
  readonly working_directory?: string;
  /** Step environment, on top of the job's. */
  readonly environment: Environment;
  /** Runs alongside the next steps. */
  readonly background: boolean;
  /** As written (`10m`, `1h30m`, `90`); the agent reads it. */
  readonly no_output_timeout?: string | number;
}

export interface CheckoutStep extends StepBase {
  readonly kind: 'checkout';
  readonly path?: string;
}

export interface SetupRemoteDockerStep extends StepBase {
  readonly kind: 'setup_remote_docker';
  readonly version?: string;
  readonly docker_layer_caching: boolean;
}

export interface SaveCacheStep extends StepBase {
  readonly kind: 'save_cache';
  /** The key template (`v1-{{ checksum "package-lock.json" }}`). */
  readonly key?: string;
  readonly paths: readonly string[];
}

export interface RestoreCacheStep extends StepBase {
  readonly kind: 'restore_cache';
  /** Key templates to try in order: `keys`, then `key`. */
  readonly keys: readonly string[];
}

export interface PersistToWorkspaceStep extends StepBase {
  readonly kind: 'persist_to_workspace';
  readonly root?: string;
  readonly paths: readonly string[];
}

export interface AttachWorkspaceStep extends StepBase {
  readonly kind: 'attach_workspace';
  readonly at?: string;
}

export interface StoreArtifactsStep extends StepBase {
  readonly kind: 'store_artifacts';
  readonly path?: string;
  readonly destination?: string;
}

export interface StoreTestResultsStep extends StepBase {
  readonly kind: 'store_test_results';
  readonly path?: string;
}

export interface AddSshKeysStep extends StepBase {
  readonly kind: 'add_ssh_keys';
  readonly fingerprints: readonly string[];
}

export interface InstallSigningBundleStep extends StepBase {
  readonly kind: 'install_signing_bundle';
}

export interface UnknownStep extends StepBase {
  readonly kind: 'unknown';
  /** The step's key (`orb/command`, `when`, ...), or `unknown` when the step is not a step at all. */
  readonly type: string;
  /** The step as compiled. */
  readonly source: unknown;
}

/** The step's type as CircleCI names it (its key in config). */
export function stepType(step: Step): string {
  return step.kind === 'unknown' ? step.type : step.kind;
}
