// API v1.1 "builds": a v1.1 build is one numbered job of a workflow. These pure functions
// map our job, workflow, pipeline and project records to v1.1's BuildSummary and
// BuildDetail shapes and its status vocabulary.
import type { Job } from '../../../storage/jobs.ts';
import type { Pipeline } from '../../../storage/pipelines.ts';
import type { ProjectWithOrg } from '../../../storage/projects.ts';
import type { User } from '../../../storage/users.ts';
import type { Workflow } from '../../../storage/workflows.ts';

export interface V1Status {
  /** queued | not_run | not_running | running | finished */
  lifecycle: string;
  /** canceled | infrastructure_fail | timedout | failed | no_tests | success; null until finished */
  outcome: string | null;
  /** retried | canceled | infrastructure_fail | timedout | not_run | running | failed | queued | not_running | no_tests | fixed | success */
  status: string;
}

const FAILED = new Set(['failed', 'infrastructure_fail', 'timedout']);

/**
 * v1.1's lifecycle/outcome/status of a job status. `fixed` is a success after a failed build
 * of the same job on the same branch (`previousStatus` is that build's v1.1 status).
 */
export function v1Status(jobStatus: string, previousStatus?: string | null): V1Status {
  switch (jobStatus) {
    case 'queued':
      return { lifecycle: 'queued', outcome: null, status: 'queued' };
    case 'running':
      return { lifecycle: 'running', outcome: null, status: 'running' };
    case 'success':
      return { lifecycle: 'finished', outcome: 'success', status: previousStatus && FAILED.has(previousStatus) ? 'fixed' : 'success' };
    case 'failed':
    case 'infrastructure_fail':
    case 'timedout':
    case 'canceled':
      return { lifecycle: 'finished', outcome: jobStatus, status: jobStatus };
    case 'blocked':
    case 'on_hold':
      return { lifecycle: 'not_running', outcome: null, status: 'not_running' };
    default: // not_run, unauthorized
      return { lifecycle: 'not_run', outcome: null, status: 'not_run' };
  }
}

/** What a build refers to besides its job. */
export interface BuildContext {
  job: Job;
  workflow: Workflow;
  pipeline: Pipeline;
  project: ProjectWithOrg;
  /** Who started the workflow (the trigger's actor, or who reran it). */
  user: Pick<User, 'id' | 'login' | 'name' | 'avatar_url'> | undefined;
  /** The previous build of the same job on the same branch. */
  previous: { build_num: number; status: string; build_time_millis: number | null } | null;
  /** The build this one retried (a rerun of the workflow from it). */
  retryOf: number | null;
  baseUrl: string;
}

interface CommitDetails {
  subject?: string;
  body?: string;
  author?: { name?: string; email?: string };
  authored_at?: string;
  committer?: { name?: string; email?: string };
  committed_at?: string;
}

function millis(from: string | null, to: string | null): number | null {
  return from && to ? Math.max(0, Date.parse(to) - Date.parse(from)) : null;
}

function shortVcs(vcs: string): string {
  return vcs === 'bitbucket' ? 'bb' : vcs === 'github' ? 'gh' : vcs;
}

/** Why a build ran, in v1.1's words. */
function whyOf(c: BuildContext): string {
  if (c.retryOf !== null) return 'retry';
  switch (c.pipeline.trigger_type) {
    case 'webhook':
      return c.project.vcs_type === 'bitbucket' ? 'bitbucket' : 'github';
    case 'scheduled_pipeline':
      return 'scheduled_pipeline';
    default:
      return 'api';
  }
}

export function buildSummary(c: BuildContext) {
  const { job, workflow, pipeline, project } = c;
  const vcs = JSON.parse(pipeline.vcs) as { commit?: CommitDetails; review_url?: string };
  const commit = vcs.commit;
  const st = v1Status(job.status, c.previous?.status);
  const requires = JSON.parse(job.requires) as { job_id: string }[];
  const web = `${c.baseUrl}/pipelines/${shortVcs(project.vcs_type)}/${project.org_name}/${project.name}/${pipeline.number}/workflows/${workflow.id}/jobs/${job.number}`;
  return {
    vcs_url: project.vcs_url,
    build_url: web,
    build_num: job.number,
    branch: pipeline.branch,
    vcs_revision: pipeline.revision,
    vcs_tag: pipeline.tag,
    vcs_type: project.vcs_type,
    committer_name: commit?.committer?.name ?? null,
    committer_email: commit?.committer?.email ?? null,
    committer_date: commit?.committed_at ?? null,
    author_name: commit?.author?.name ?? null,
    author_email: commit?.author?.email ?? null,
    author_date: commit?.authored_at ?? null,
    subject: commit?.subject ?? null,
    body: commit?.body ?? null,
    why: whyOf(c),
    dont_build: null,
    queued_at: job.queued_at,
    usage_queued_at: job.queued_at,
    start_time: job.started_at,
    stop_time: job.stopped_at,
    build_time_millis: millis(job.started_at, job.stopped_at),
    username: project.org_name,
    reponame: project.name,
    lifecycle: st.lifecycle,
    outcome: st.outcome,
    status: st.status,
    canceled: job.status === 'canceled',
    failed: job.status === 'failed',
    infrastructure_fail: job.status === 'infrastructure_fail',
    timedout: job.status === 'timedout',
    retry_of: c.retryOf,
    previous: c.previous,
    user: c.user
      ? { is_user: true, login: c.user.login, name: c.user.name, avatar_url: c.user.avatar_url, vcs_type: project.vcs_type, id: c.user.id }
      : { is_user: false, login: 'system', name: null, avatar_url: null, vcs_type: project.vcs_type, id: null },
    workflows: {
      job_name: job.name,
      job_id: job.id,
      workflow_id: workflow.id,
      workflow_name: workflow.name,
      // Workspaces are shared across reruns of a workflow: they belong to the first run.
      workspace_id: workflow.rerun_of ?? workflow.id,
      upstream_job_ids: requires.map((r) => r.job_id),
      upstream_concurrency_map: {},
    },
    pull_requests: vcs.review_url ? [{ head_sha: pipeline.revision, url: vcs.review_url }] : [],
    job_name: job.name,
    parallel: job.parallelism,
    platform: '2.0',
  };
}

/** The full build (`GET …/:build_num`): the summary and what only the detail carries. */
export function buildDetail(c: BuildContext, extra: { canceler?: Pick<User, 'login' | 'name'>; previousSuccessful: BuildContext['previous']; steps: unknown[] }) {
  const { job, pipeline, project } = c;
  const commit = (JSON.parse(pipeline.vcs) as { commit?: CommitDetails }).commit;
  const parameters = JSON.parse(pipeline.parameters) as Record<string, unknown>;
  return {
    ...buildSummary(c),
    // One step per config step with one action per parallel run (src/http/step-output.ts).
    steps: extra.steps,
    all_commit_details: commit
      ? [
          {
            commit: pipeline.revision,
            commit_url: null,
            branch: pipeline.branch ?? undefined,
            subject: commit.subject ?? null,
            body: commit.body ?? null,
            author_name: commit.author?.name ?? null,
            author_email: commit.author?.email ?? null,
            author_login: null,
            author_date: commit.authored_at ?? null,
            committer_name: commit.committer?.name ?? null,
            committer_email: commit.committer?.email ?? null,
            committer_login: null,
            committer_date: commit.committed_at ?? null,
          },
        ]
      : [],
    build_parameters: parameters,
    circle_yml: pipeline.compiled_config ? { string: pipeline.compiled_config } : null,
    messages: JSON.parse(job.messages) as { type: string; message: string }[],
    node: null,
    picard: { executor: job.executor, resource_class: { class: job.resource_class } },
    previous_successful_build: extra.previousSuccessful,
    retries: null,
    ssh_users: [],
    ssh_disabled: true,
    oss: false,
    compare: null,
    is_first_green_build: false,
    no_dependency_cache: false,
    feature_flags: {},
    canceler: extra.canceler ? { login: extra.canceler.login, name: extra.canceler.name, is_user: true } : null,
    fail_reason: null,
    vcs_url: project.vcs_url,
  };
}
