// A trigger becomes a pipeline: fetch the config from git at the branch or tag, compile
// it with the pipeline's values and parameters, and start its workflows. Every failure is
// a pipeline in state `errored` with CircleCI's error types, never an exception.
import type { CompileResult, PipelineValues } from '../../config/index.ts';
import { newId, nowIso } from '../../domain/clock.ts';
import { generateToken, hashToken } from '../../domain/tokens.ts';
import { preferredPrivateKey } from '../../storage/checkout-keys.ts';
import { nextPipelineNumber } from '../../storage/counters.ts';
import { followProject } from '../../storage/follows.ts';
import { insertJobs, type Job } from '../../storage/jobs.ts';
import { insertPipeline, type Pipeline } from '../../storage/pipelines.ts';
import type { ProjectWithOrg } from '../../storage/projects.ts';
import { insertWorkflows, type Workflow } from '../../storage/workflows.ts';
import { type Db, inTransaction } from '../../storage/executor.ts';
import { advanceWorkflow } from './advance.ts';
import type { EngineDeps } from '../deps.ts';
import { GitError, type CommitInfo, type GitRefRequest, type ResolvedRevision } from '../services/git-mirror.ts';
import { pipelineValues } from './pipeline-values.ts';
import { planWorkflows, type PlannedWorkflow } from './plan.ts';
import { recordCompletions } from '../services/webhooks.ts';

export const CONFIG_PATH = '.circleci/config.yml';

export interface TriggerRequest {
  project: ProjectWithOrg;
  actorId: string | null;
  /** 'api' | 'webhook' | 'scheduled_pipeline' | 'explicit' */
  triggerType: string;
  branch?: string;
  tag?: string;
  revision?: string;
  parameters?: Record<string, unknown>;
  /** Config content given with the trigger instead of the repository's file. */
  configContent?: string;
  /** The config file to read (the pipeline definition's), `.circleci/config.yml` by default. */
  configPath?: string;
  /** The ref the config file is read from when it differs from the one checked out (a trigger's `config_ref`). */
  configRef?: GitRefRequest;
  triggerParameters?: Record<string, unknown>;
  schedule?: { name: string; id: string };
  review?: { id: string; url: string };
  /** Runs in the pipeline's transaction; throwing rolls the pipeline back (a scheduled run's claim check). */
  guard?: (trx: Db, pipelineId: string) => Promise<void>;
}

export interface PipelineError {
  type: string;
  message: string;
}

/** The compiler's error diagnostics as one pipeline error message per diagnostic. */
export function configErrors(result: CompileResult): PipelineError[] {
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ type: 'config', message: d.path ? `${d.path}: ${d.message}` : d.message }));
}

/** The commit a ref names and the config file in it (the checkout key is only read for SSH remotes). */
export async function resolveRevision(deps: EngineDeps, project: ProjectWithOrg, ref: GitRefRequest, configPath = CONFIG_PATH): Promise<ResolvedRevision> {
  const key = needsSsh(project.vcs_url) ? await preferredPrivateKey(deps.database.db, deps.secrets, project.id) : undefined;
  return deps.mirrors.resolve(project.id, project.vcs_url, ref, configPath, key);
}

export async function triggerPipeline(deps: EngineDeps, req: TriggerRequest): Promise<{ pipeline: Pipeline; queuedTasks: number }> {
  const { project } = req;
  const db = deps.database.db;
  const id = newId();
  const now = nowIso(deps.now());
  const tag = req.tag;
  const branch = tag ? undefined : (req.branch ?? project.default_branch);
  const number = await nextPipelineNumber(db, project.id);
  const errors: PipelineError[] = [];

  let commit: CommitInfo | undefined;
  let source = req.configContent ?? '';
  const configPath = req.configPath ?? CONFIG_PATH;
  try {
    const resolved = await resolveRevision(deps, project, { branch, tag, revision: req.revision }, configPath);
    commit = resolved.commit;
    if (req.configContent === undefined) {
      const fromConfigRef = req.configRef ? await resolveRevision(deps, project, req.configRef, configPath) : resolved;
      if (fromConfigRef.file === null) errors.push({ type: 'config-fetch', message: `Unable to find ${configPath} at revision ${fromConfigRef.commit.revision.slice(0, 7)}` });
      else source = fromConfigRef.file;
    }
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    errors.push({ type: 'config-fetch', message: err.message });
  }

  const values = pipelineValues({
    id,
    number,
    project,
    branch,
    tag,
    revision: commit?.revision ?? req.revision ?? '',
    triggerSource: req.triggerType,
    commit,
    schedule: req.schedule,
    triggerParameters: req.triggerParameters,
  });

  const row: Pipeline = {
    id,
    project_id: project.id,
    number,
    state: 'created',
    trigger_type: req.triggerType,
    trigger_actor_id: req.actorId,
    trigger_received_at: now,
    branch: branch ?? null,
    tag: tag ?? null,
    revision: commit?.revision ?? req.revision ?? null,
    vcs: JSON.stringify(vcsOf(project, commit, branch, tag, req.review)),
    parameters: JSON.stringify(req.parameters ?? {}),
    trigger_parameters: JSON.stringify(req.triggerParameters ?? {}),
    pipeline_values: JSON.stringify(values),
    errors: '[]',
    source_config: source,
    compiled_config: '',
    setup_config: '',
    compiled_setup_config: '',
    continuation_key_hash: null,
    continuation_state: null,
    created_at: now,
    updated_at: now,
  };

  let plans: PlannedWorkflow[] = [];
  let continuationKey: string | undefined;
  if (errors.length === 0) {
    const result = await compileSafely(source, values, req.parameters ?? {}, deps, project.organization_id);
    errors.push(...configErrors(result));
    if (errors.length === 0 && result.config) {
      if (result.setup) {
        row.setup_config = source;
        row.compiled_setup_config = result.compiledYaml ?? '';
        row.source_config = '';
        row.state = 'setup';
        continuationKey = generateToken();
        row.continuation_key_hash = hashToken(continuationKey);
        row.continuation_state = 'pending';
      } else {
        row.compiled_config = result.compiledYaml ?? '';
      }
      plans = planWorkflows(result.config, { branch, tag }, values);
    }
  }
  if (errors.length > 0) {
    row.state = 'errored';
    row.errors = JSON.stringify(errors);
  }

  let queuedTasks = 0;
  await inTransaction(db, async (trx) => {
    await insertPipeline(trx, row);
    if (req.guard) await req.guard(trx, row.id);
    // The user who triggers a project follows it, as in CircleCI.
    if (req.actorId) await followProject(trx, req.actorId, project.id);
    queuedTasks = await startWorkflows(deps, trx, row, plans, { tag: continuationKey ? 'setup' : null, startedBy: req.actorId, continuationKey, project });
  });
  if (queuedTasks > 0) deps.events.emit('tasks');
  return { pipeline: row, queuedTasks };
}

/**
 * Compiles with the engine's compiler (deps.compile: by default in a worker thread,
 * compile-worker.ts, with time and heap limits, off the event loop); an
 * unexpected compiler failure becomes a `config` error, never an exception.
 */
export async function compileSafely(source: string, values: PipelineValues, parameters: Record<string, unknown>, deps: EngineDeps, organizationId: string): Promise<CompileResult> {
  try {
    // URL orbs are fetched only from the organization's allow-list (services/url-orbs.ts).
    const orbSource = deps.urlOrbs.forOrganization(deps.database.db, organizationId, deps.orbSource);
    return await deps.compile(source, { pipelineValues: values, pipelineParameters: parameters, orbSource });
  } catch (err) {
    const message = `Config could not be compiled: ${err instanceof Error ? err.message : String(err)}`;
    return { config: null, compiled: null, compiledYaml: null, setup: false, orbs: [], diagnostics: [{ severity: 'error', path: '', message }] };
  }
}

function needsSsh(url: string): boolean {
  return /^ssh:\/\//.test(url) || /^[^/]+@[^:]+:/.test(url);
}

function vcsOf(project: ProjectWithOrg, commit: CommitInfo | undefined, branch?: string, tag?: string, review?: { id: string; url: string }) {
  const provider = project.vcs_type === 'bitbucket' ? 'Bitbucket' : project.vcs_type === 'github' ? 'GitHub' : 'CircleCI';
  return {
    provider_name: provider,
    origin_repository_url: project.vcs_url,
    target_repository_url: project.vcs_url,
    revision: commit?.revision ?? '',
    ...(branch ? { branch } : {}),
    ...(tag ? { tag } : {}),
    ...(review ? { review_id: review.id, review_url: review.url } : {}),
    ...(commit
      ? {
          commit: {
            subject: commit.subject,
            body: commit.body,
            author: { name: commit.authorName, email: commit.authorEmail },
            authored_at: commit.authoredAt,
            committer: { name: commit.committerName, email: commit.committerEmail },
            committed_at: commit.committedAt,
          },
        }
      : {}),
  };
}

/** Creates workflow and job records for planned workflows and advances each once. */
export async function startWorkflows(
  deps: EngineDeps,
  trx: Db,
  pipeline: Pipeline,
  plans: PlannedWorkflow[],
  opts: { tag: string | null; startedBy: string | null; continuationKey?: string; project?: ProjectWithOrg },
): Promise<number> {
  const now = nowIso(deps.now());
  const created: { workflow: Workflow; jobs: Job[] }[] = plans.map((plan) => {
    const workflowId = newId();
    const workflow: Workflow = {
      id: workflowId,
      pipeline_id: pipeline.id,
      project_id: pipeline.project_id,
      name: plan.name,
      status: 'running',
      tag: opts.tag,
      started_by: opts.startedBy ?? '00000000-0000-0000-0000-000000000000',
      canceled_by: null,
      errored_by: null,
      rerun_of: null,
      created_at: now,
      stopped_at: null,
    };
    const ids = new Map(plan.jobs.map((j) => [j.name, newId()]));
    const jobs: Job[] = plan.jobs.map((j) => ({
      id: ids.get(j.name)!,
      workflow_id: workflowId,
      pipeline_id: pipeline.id,
      project_id: pipeline.project_id,
      name: j.name,
      type: j.type,
      status: 'blocked',
      number: null,
      requires: JSON.stringify(j.requires.filter((r) => ids.has(r.name)).map((r) => ({ job_id: ids.get(r.name), name: r.name, statuses: r.statuses }))),
      config: JSON.stringify(opts.continuationKey ? withContinuationKey(j.config, deps.secrets.seal(opts.continuationKey)) : j.config),
      contexts: JSON.stringify(j.contexts),
      executor: j.executor,
      resource_class: j.resourceClass,
      parallelism: j.parallelism,
      approval_request_id: null,
      approved_by: null,
      canceled_by: null,
      messages: '[]',
      created_at: now,
      queued_at: null,
      started_at: null,
      stopped_at: null,
    }));
    return { workflow, jobs };
  });
  // All rows in as few statements as the databases' parameter limits allow.
  await insertWorkflows(trx, created.map((c) => c.workflow));
  const allJobs = created.flatMap((c) => c.jobs);
  for (let i = 0; i < allJobs.length; i += 500) await insertJobs(trx, allJobs.slice(i, i + 500));
  let queued = 0;
  for (const { workflow, jobs } of created) {
    const known = opts.project ? { workflow, jobs, pipeline, project: opts.project } : undefined;
    const result = await advanceWorkflow(deps, trx, workflow.id, known);
    queued += result.queuedTasks;
    // A workflow can finish as it starts (every first job unauthorized, only no-op jobs ...).
    await recordCompletions(deps, trx, workflow.id, result.finished !== undefined, result.finishedJobs);
  }
  return queued;
}

/** Setup jobs receive the continuation key as CIRCLE_CONTINUATION_KEY; it is kept sealed. */
export const CONTINUATION_KEY_FIELD = 'circlet_continuation_key_sealed';
function withContinuationKey(config: Record<string, unknown>, sealedKey: string): Record<string, unknown> {
  return { ...config, [CONTINUATION_KEY_FIELD]: sealedKey };
}

export type { PipelineValues };
