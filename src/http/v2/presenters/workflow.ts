// API shapes of workflows and their jobs.
import type { Job } from '../../../storage/jobs.ts';
import type { Workflow } from '../../../storage/workflows.ts';

export function workflowBody(w: Workflow, pipelineNumber: number, projectSlug: string) {
  return {
    pipeline_id: w.pipeline_id,
    ...(w.canceled_by ? { canceled_by: w.canceled_by } : {}),
    id: w.id,
    name: w.name,
    project_slug: projectSlug,
    ...(w.errored_by ? { errored_by: w.errored_by } : {}),
    tag: w.tag,
    status: w.status,
    started_by: w.started_by,
    pipeline_number: pipelineNumber,
    created_at: w.created_at,
    stopped_at: w.stopped_at,
  };
}

/** A job as `GET /workflow/{id}/job` lists it. */
export function workflowJobBody(j: Job, projectSlug: string) {
  const requires = JSON.parse(j.requires) as { job_id: string; statuses: string[] }[];
  const requiresMap: Record<string, string[]> = {};
  for (const r of requires) requiresMap[r.job_id] = r.statuses;
  return {
    ...(j.canceled_by ? { canceled_by: j.canceled_by } : {}),
    dependencies: requires.map((r) => r.job_id),
    ...(j.number !== null ? { job_number: j.number } : {}),
    id: j.id,
    started_at: j.started_at,
    name: j.name,
    ...(j.approved_by ? { approved_by: j.approved_by } : {}),
    project_slug: projectSlug,
    status: j.status,
    type: j.type === 'approval' ? 'approval' : 'build',
    requires: requiresMap,
    stopped_at: j.stopped_at,
    ...(j.approval_request_id ? { approval_request_id: j.approval_request_id } : {}),
  };
}
