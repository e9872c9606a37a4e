// What an agent receives for a claimed task: the compiled job, where to check out, and
// CircleCI's built-in environment. Secrets travel separately (taskSecrets).
import { readBuildJob, type TaskPayload } from '../../config/index.ts';
import { slugOfProject } from '../../domain/slug.ts';
import { preferredPrivateKey } from '../../storage/checkout-keys.ts';
import { sshKeysForTask } from '../../storage/additional-ssh-keys.ts';
import { envVarsOfProject } from '../../storage/env-vars.ts';
import { getJob, type Task } from '../../storage/jobs.ts';
import { getPipeline } from '../../storage/pipelines.ts';
import { getProject } from '../../storage/projects.ts';
import { authorizeContexts } from '../pipeline/contexts.ts';
import type { EngineDeps } from '../deps.ts';
import { ENABLE_SSH_FIELD } from '../pipeline/rerun.ts';
import { CONTINUATION_KEY_FIELD } from '../pipeline/trigger.ts';
import type { TaskSecrets } from '../../domain/runner-protocol.ts';
import type { JobWithOwners } from '../../storage/tasks.ts';

export type { TaskPayload, TaskSecrets };

/** The payload of a claimed task, from its job's row as the claim read it (no query: this runs on every claim). */
export function taskPayload(deps: EngineDeps, task: Task, credential: string, row: JobWithOwners): TaskPayload {
  const job = row;
  const workflow = { id: row.workflow_id, name: row.wf_name, rerun_of: row.wf_rerun_of };
  const pipeline = { id: row.pipeline_id, number: Number(row.p_number), branch: row.p_branch, tag: row.p_tag, revision: row.p_revision, pipeline_values: row.p_values, vcs: row.p_vcs };
  const project = { id: row.project_id, name: row.pr_name, vcs_url: row.pr_vcs_url, organization_id: row.pr_org_id, org_name: row.org_name, vcs_type: row.org_vcs_type };
  const actor = row.actor_login === null ? undefined : { login: row.actor_login };
  // The stored job document also holds the engine's own fields (read here, not sent).
  const document = JSON.parse(job.config) as Record<string, unknown>;
  const sealedKey = document[CONTINUATION_KEY_FIELD];
  const sshEnabled = document[ENABLE_SSH_FIELD] === true;
  const config = readBuildJob(document);
  const slug = slugOfProject(project);
  const vcs = JSON.parse(pipeline.vcs) as { review_url?: string; review_id?: string };
  const env: Record<string, string> = {
    CI: 'true',
    CIRCLECI: 'true',
    CIRCLE_BRANCH: pipeline.branch ?? '',
    CIRCLE_SHA1: pipeline.revision ?? '',
    CIRCLE_BUILD_NUM: String(job.number ?? ''),
    CIRCLE_BUILD_URL: `${deps.baseUrl}/pipelines/${slug}/${pipeline.number}/workflows/${workflow.id}/jobs/${job.number ?? ''}`,
    CIRCLE_JOB: job.name,
    CIRCLE_NODE_INDEX: String(task.node_index),
    CIRCLE_NODE_TOTAL: String(job.parallelism),
    CIRCLE_PROJECT_USERNAME: project.org_name,
    CIRCLE_PROJECT_REPONAME: project.name,
    CIRCLE_REPOSITORY_URL: project.vcs_url,
    CIRCLE_WORKFLOW_ID: workflow.id,
    CIRCLE_WORKFLOW_JOB_ID: job.id,
    CIRCLE_WORKFLOW_WORKSPACE_ID: workflow.rerun_of ?? workflow.id,
    CIRCLE_PIPELINE_ID: pipeline.id,
    CIRCLE_WORKING_DIRECTORY: config.working_directory ?? '~/project',
    CIRCLE_USERNAME: actor?.login ?? '',
    CIRCLE_PROJECT_ID: project.id,
    CIRCLE_ORGANIZATION_ID: project.organization_id,
  };
  if (pipeline.tag) env.CIRCLE_TAG = pipeline.tag;
  if (vcs.review_url) {
    env.CIRCLE_PULL_REQUEST = vcs.review_url;
    env.CIRCLE_PULL_REQUESTS = vcs.review_url;
    if (vcs.review_id) env.CIRCLE_PR_NUMBER = vcs.review_id;
  }
  if (typeof sealedKey === 'string') env.CIRCLE_CONTINUATION_KEY = deps.secrets.open(sealedKey);
  return {
    task: { id: task.id, node_index: task.node_index, parallelism: job.parallelism, lease_ms: deps.leaseMs, credential },
    job: { id: job.id, number: job.number, name: job.name, config, executor: job.executor, resource_class: job.resource_class, ssh_enabled: sshEnabled },
    workflow: { id: workflow.id, name: workflow.name, workspace_id: workflow.rerun_of ?? workflow.id },
    pipeline: { id: pipeline.id, number: pipeline.number, branch: pipeline.branch, tag: pipeline.tag, revision: pipeline.revision, values: JSON.parse(pipeline.pipeline_values) },
    project: { id: project.id, slug, organization: project.org_name, repository: project.name, vcs_url: project.vcs_url },
    environment: env,
  };
}

export async function taskSecrets(deps: EngineDeps, task: Task): Promise<TaskSecrets> {
  const d = deps.database;
  const job = (await getJob(d.db, task.job_id))!;
  const pipeline = (await getPipeline(d.db, job.pipeline_id))!;
  const project = (await getProject(d.db, job.project_id))!;
  const environment = await envVarsOfProject(d.db, deps.secrets, project.id);
  const contexts = JSON.parse(job.contexts) as string[];
  if (contexts.length > 0) {
    const auth = await authorizeContexts(d.db, deps.secrets, {
      organizationId: project.organization_id,
      projectId: project.id,
      contextNames: contexts,
      pipelineValues: JSON.parse(pipeline.pipeline_values),
      userId: pipeline.trigger_actor_id,
    });
    if (auth.ok) Object.assign(environment, auth.environment);
  }
  return {
    environment,
    checkout_key: (await preferredPrivateKey(d.db, deps.secrets, project.id)) ?? null,
    ssh_keys: await sshKeysForTask(d.db, deps.secrets, project.id),
  };
}
