// `circlet run`'s store (src/run): filling a fresh one with the user, organization and project the pipeline belongs
// to, its secrets (project variables and contexts), the caches and test timings kept from
// earlier runs, and the pipeline number this run gets.
import { insertDefaultDefinition } from './pipeline-definitions.ts';
import { newId, nowIso } from '../domain/clock.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import { createContext, putContextEnvVar } from './contexts.ts';
import { putEnvVar } from './env-vars.ts';
import { addMember, ensureOrganization } from './organizations.ts';
import { getProject, type ProjectWithOrg } from './projects.ts';
import { ensureUser } from './users.ts';
import type { Db } from './executor.ts';

/** A cache kept between local runs (its blob under the repository's cache dir). */
export interface SavedCache {
  key: string;
  blob_key: string;
  size: number;
  created_at: string;
}

/** A test's time from an earlier local run. */
export interface SavedTiming {
  job: string;
  file: string;
  classname: string;
  name: string;
  run_time: number;
}

export const LOCAL_ORG = 'local';

export interface SeedInput {
  projectId: string;
  name: string;
  /** The scratch repository the mirror fetches from. */
  vcsUrl: string;
  defaultBranch: string;
  env: Record<string, string>;
  contexts: Record<string, Record<string, string>>;
  caches: SavedCache[];
  timings: SavedTiming[];
  /** The number the run's pipeline gets. */
  pipelineNumber: number;
}

export async function seedStore(db: Db, secrets: SecretBox, input: SeedInput): Promise<{ project: ProjectWithOrg; userId: string }> {
  const user = await ensureUser(db, 'local', 'Local user');
  const org = await ensureOrganization(db, 'github', LOCAL_ORG);
  await addMember(db, org.id, user.id, 'admin');
  const now = nowIso();
  await db
    .insertInto('projects')
    .values({ id: input.projectId, organization_id: org.id, name: input.name, vcs_url: input.vcsUrl, default_branch: input.defaultBranch, settings: '{}', created_at: now })
    .execute();
  await insertDefaultDefinition(db, { id: input.projectId, vcs_type: org.vcs_type, created_at: now });
  for (const [name, value] of Object.entries(input.env)) await putEnvVar(db, secrets, input.projectId, name, value);
  for (const [name, vars] of Object.entries(input.contexts)) {
    const created = await createContext(db, org.id, name);
    if (!created.ok) throw new Error(`context ${name}: could not be created (${created.reason})`);
    for (const [k, v] of Object.entries(vars)) await putContextEnvVar(db, secrets, created.context.id, k, v);
  }
  if (input.caches.length > 0) await db.insertInto('caches').values(input.caches.map((c) => ({ ...c, project_id: input.projectId }))).execute();
  if (input.timings.length > 0) await seedTimings(db, input.projectId, input.timings);
  await db.insertInto('project_counters').values({ project_id: input.projectId, pipeline_number: input.pipelineNumber - 1, job_number: 0 }).execute();
  return { project: (await getProject(db, input.projectId))!, userId: user.id };
}

/**
 * Timings of earlier runs become test results of a finished stand-in pipeline (one job per
 * job name), which is where `circleci tests split --split-by=timings` reads them from.
 */
async function seedTimings(db: Db, projectId: string, timings: SavedTiming[]): Promise<void> {
  const at = new Date(Date.now() - 60_000).toISOString();
  const pipelineId = newId();
  const workflowId = newId();
  await db
    .insertInto('pipelines')
    .values({
      id: pipelineId,
      project_id: projectId,
      number: 0,
      state: 'created',
      trigger_type: 'explicit',
      trigger_actor_id: null,
      trigger_received_at: at,
      branch: null,
      tag: null,
      revision: null,
      vcs: '{}',
      parameters: '{}',
      trigger_parameters: '{}',
      pipeline_values: '{}',
      errors: '[]',
      source_config: '',
      compiled_config: '',
      setup_config: '',
      compiled_setup_config: '',
      continuation_key_hash: null,
      continuation_state: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  await db
    .insertInto('workflows')
    .values({ id: workflowId, pipeline_id: pipelineId, project_id: projectId, name: 'earlier local runs', status: 'success', tag: null, started_by: '00000000-0000-0000-0000-000000000000', canceled_by: null, errored_by: null, rerun_of: null, created_at: at, stopped_at: at })
    .execute();
  const jobIds = new Map<string, string>();
  for (const t of timings) if (!jobIds.has(t.job)) jobIds.set(t.job, newId());
  for (const [name, id] of jobIds) {
    await db
      .insertInto('jobs')
      .values({
        id,
        workflow_id: workflowId,
        pipeline_id: pipelineId,
        project_id: projectId,
        name,
        type: 'build',
        status: 'success',
        number: null,
        requires: '[]',
        config: '{}',
        contexts: '[]',
        executor: 'none',
        resource_class: 'medium',
        parallelism: 1,
        approval_request_id: null,
        approved_by: null,
        canceled_by: null,
        messages: '[]',
        created_at: at,
        queued_at: at,
        started_at: at,
        stopped_at: at,
      })
      .execute();
  }
  const rows = timings.map((t) => ({ id: newId(), project_id: projectId, job_id: jobIds.get(t.job)!, node_index: 0, name: t.name, classname: t.classname, file: t.file, result: 'success', message: '', run_time: t.run_time, source: '', created_at: at }));
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('test_results').values(rows.slice(i, i + 500)).execute();
}

/** Every job of a pipeline, oldest first. */
export function jobsOfPipeline(db: Db, pipelineId: string) {
  return db.selectFrom('jobs').selectAll().where('pipeline_id', '=', pipelineId).orderBy('created_at').execute();
}

/** A task's steps and its output chunks, in order. */
export async function stepsWithOutput(db: Db, taskId: string) {
  const steps = await db.selectFrom('steps').selectAll().where('task_id', '=', taskId).orderBy('step_index').execute();
  const chunks = await db.selectFrom('step_output').select(['step_index', 'data']).where('task_id', '=', taskId).orderBy('step_index').orderBy('seq').execute();
  return { steps, chunks };
}

export function taskNodesOfJob(db: Db, jobId: string) {
  return db.selectFrom('tasks').select(['id', 'node_index']).where('job_id', '=', jobId).orderBy('node_index').execute();
}

export function allArtifactsOfJob(db: Db, jobId: string) {
  return db.selectFrom('artifacts').selectAll().where('job_id', '=', jobId).execute();
}

export function allTestResultsOfJob(db: Db, jobId: string) {
  return db.selectFrom('test_results').select(['node_index', 'name', 'classname', 'file', 'result', 'message', 'run_time']).where('job_id', '=', jobId).orderBy('node_index').orderBy('created_at').execute();
}

export function cachesOfProject(db: Db, projectId: string): Promise<SavedCache[]> {
  return db.selectFrom('caches').select(['key', 'blob_key', 'size', 'created_at']).where('project_id', '=', projectId).execute();
}

/** The test times a pipeline's jobs stored, newest first. */
export function timingsOfPipeline(db: Db, pipelineId: string): Promise<SavedTiming[]> {
  return db
    .selectFrom('test_results')
    .innerJoin('jobs', 'jobs.id', 'test_results.job_id')
    .select(['jobs.name as job', 'test_results.file', 'test_results.classname', 'test_results.name', 'test_results.run_time'])
    .where('jobs.pipeline_id', '=', pipelineId)
    .orderBy('test_results.created_at', 'desc')
    .execute();
}
