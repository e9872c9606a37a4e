// Loads pipelines, workflows and jobs for a caller, hiding those of organizations the
// caller is not a member of (they answer 404 like missing ones).
import type { FastifyRequest } from 'fastify';
import { CircletError } from '../domain/errors.ts';
import { UUID_RE } from '../domain/clock.ts';
import { parseNumberSegment } from '../domain/numbers.ts';
import { getJob, getJobByNumber, type Job } from '../storage/jobs.ts';
import { isMember } from '../storage/organizations.ts';
import { getPipeline, type Pipeline } from '../storage/pipelines.ts';
import { getProject, type ProjectWithOrg } from '../storage/projects.ts';
import { getWorkflow, type Workflow } from '../storage/workflows.ts';
import type { HttpDeps } from './deps.ts';
import { requireProject, type SlugParams } from './project-access.ts';

async function visibleProject(deps: HttpDeps, req: FastifyRequest, projectId: string): Promise<ProjectWithOrg | undefined> {
  const project = await getProject(deps.database.db, projectId);
  if (!project || !(await isMember(deps.database.db, project.organization_id, req.user.id))) return undefined;
  return project;
}

export async function requirePipeline(deps: HttpDeps, req: FastifyRequest, id: string): Promise<{ pipeline: Pipeline; project: ProjectWithOrg }> {
  const pipeline = UUID_RE.test(id) ? await getPipeline(deps.database.db, id) : undefined;
  const project = pipeline && (await visibleProject(deps, req, pipeline.project_id));
  if (!pipeline || !project) throw new CircletError('PIPELINE_NOT_FOUND');
  return { pipeline, project };
}

export async function requireWorkflow(deps: HttpDeps, req: FastifyRequest, id: string): Promise<{ workflow: Workflow; project: ProjectWithOrg }> {
  const workflow = UUID_RE.test(id) ? await getWorkflow(deps.database.db, id) : undefined;
  const project = workflow && (await visibleProject(deps, req, workflow.project_id));
  if (!workflow || !project) throw new CircletError('WORKFLOW_NOT_FOUND');
  return { workflow, project };
}

export async function requireJob(deps: HttpDeps, req: FastifyRequest, id: string): Promise<{ job: Job; project: ProjectWithOrg }> {
  const job = UUID_RE.test(id) ? await getJob(deps.database.db, id) : undefined;
  const project = job && (await visibleProject(deps, req, job.project_id));
  if (!job || !project) throw new CircletError('JOB_NOT_FOUND');
  return { job, project };
}

/** The job run with this number in a project the caller may see. */
export async function requireJobByNumber(deps: HttpDeps, req: FastifyRequest, params: SlugParams & { number: string }): Promise<{ job: Job; project: ProjectWithOrg }> {
  const project = await requireProject(deps, req, params);
  const n = parseNumberSegment(params.number);
  const job = n !== undefined ? await getJobByNumber(deps.database.db, project.id, n) : undefined;
  if (!job) throw new CircletError('JOB_NOT_FOUND');
  return { job, project };
}
