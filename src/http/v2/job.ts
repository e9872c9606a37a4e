// Job tag: job details and cancel (by number or id).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { latestWorkflowIdOfJobNumber, tasksOfJob } from '../../storage/jobs.ts';
import { getPipeline } from '../../storage/pipelines.ts';
import { getWorkflow } from '../../storage/workflows.ts';
import type { HttpDeps } from '../deps.ts';
import { requireJob, requireJobByNumber } from '../pipeline-access.ts';
import { jobDetailsBody } from './presenters/job.ts';
import type { SlugParams } from '../project-access.ts';

export function jobRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tags = ['Job'];

  const byNumber = (req: FastifyRequest, params: SlugParams & { number: string }) => requireJobByNumber(deps, req, params);

  app.get<{ Params: SlugParams & { number: string } }>(
    '/project/:provider/:organization/:project/job/:number',
    { schema: { tags, operationId: 'getJobDetails' } },
    async (req) => {
      const { project, job } = await byNumber(req, req.params);
      const latest = (await latestWorkflowIdOfJobNumber(deps.database.db, project.id, job.number!)) ?? job.workflow_id;
      const workflow = (await getWorkflow(deps.database.db, latest))!;
      const pipeline = (await getPipeline(deps.database.db, job.pipeline_id))!;
      return jobDetailsBody(job, await tasksOfJob(deps.database.db, job.id), workflow, project, deps.engine.baseUrl, pipeline.number);
    },
  );

  app.post<{ Params: SlugParams & { number: string } }>(
    '/project/:provider/:organization/:project/job/:number/cancel',
    { schema: { tags, operationId: 'cancelJobByJobNumber' } },
    async (req) => {
      const { job } = await byNumber(req, req.params);
      await deps.engine.cancelJob(job.id, req.user.id);
      return { message: 'Accepted.' };
    },
  );

  app.post<{ Params: { id: string } }>('/jobs/:id/cancel', { schema: { tags, operationId: 'cancelJobByJobID' } }, async (req) => {
    const { job } = await requireJob(deps, req, req.params.id);
    await deps.engine.cancelJob(job.id, req.user.id);
    return { message: 'Accepted.' };
  });
}
