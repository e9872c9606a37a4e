// API shape of job details (`GET /project/{slug}/job/{number}`).
import type { Job, Task } from '../../../storage/jobs.ts';
import type { ProjectWithOrg } from '../../../storage/projects.ts';
import type { Workflow } from '../../../storage/workflows.ts';
import { projectSlugOf } from './pipeline.ts';

export function jobDetailsBody(job: Job, tasks: Task[], workflow: Workflow, project: ProjectWithOrg, baseUrl: string, pipelineNumber: number) {
  const slug = projectSlugOf(project);
  const started = job.started_at ? Date.parse(job.started_at) : undefined;
  const stopped = job.stopped_at ? Date.parse(job.stopped_at) : undefined;
  return {
    // Not in the spec, but CircleCI sends the job's id here and its own clients (the MCP
    // server's JobsAPI) require it.
    id: job.id,
    web_url: `${baseUrl}/pipelines/${slug}/${pipelineNumber}/workflows/${workflow.id}/jobs/${job.number ?? ''}`,
    project: { id: project.id, slug, name: project.name, external_url: project.vcs_url },
    parallel_runs: tasks.map((t) => ({ index: t.node_index, status: t.status })),
    started_at: job.started_at,
    latest_workflow: { id: workflow.id, name: workflow.name },
    name: job.name,
    executor: { resource_class: job.resource_class, type: job.executor },
    parallelism: job.parallelism,
    status: job.status,
    number: job.number,
    pipeline: { id: job.pipeline_id },
    duration: started !== undefined && stopped !== undefined ? stopped - started : null,
    created_at: job.created_at,
    messages: JSON.parse(job.messages) as { type: string; message: string; reason?: string }[],
    contexts: (JSON.parse(job.contexts) as string[]).map((name) => ({ name })),
    organization: { name: project.org_name },
    queued_at: job.queued_at,
    stopped_at: job.stopped_at,
  };
}
