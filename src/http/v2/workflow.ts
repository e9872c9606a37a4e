// Workflow tag: read a workflow and its jobs; cancel, approve, rerun.
import type { FastifyInstance } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { UUID_RE } from '../../domain/clock.ts';
import { decodeOffsetToken } from '../../domain/paging.ts';
import { jobsOfWorkflow } from '../../storage/jobs.ts';
import { getPipeline } from '../../storage/pipelines.ts';
import type { HttpDeps } from '../deps.ts';
import { requireWorkflow } from '../pipeline-access.ts';
import { projectSlugOf } from './presenters/pipeline.ts';
import { workflowBody, workflowJobBody } from './presenters/workflow.ts';
import { strictBodyValidator } from '../schemas/validation.ts';

const PAGE = 100;
const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

export function workflowRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tags = ['Workflow'];

  app.get<{ Params: { id: string } }>('/workflow/:id', { schema: { tags, operationId: 'getWorkflowById', params: idParams } }, async (req) => {
    const { workflow, project } = await requireWorkflow(deps, req, req.params.id);
    const pipeline = (await getPipeline(deps.database.db, workflow.pipeline_id))!;
    return workflowBody(workflow, pipeline.number, projectSlugOf(project));
  });

  app.get<{ Params: { id: string }; Querystring: { 'page-token'?: string } }>(
    '/workflow/:id/job',
    { schema: { tags, operationId: 'listWorkflowJobs', params: idParams, querystring: { type: 'object', properties: { 'page-token': { type: 'string' } } } } },
    async (req) => {
      const { workflow, project } = await requireWorkflow(deps, req, req.params.id);
      const jobs = await jobsOfWorkflow(deps.database.db, workflow.id);
      const start = decodeOffsetToken(req.query['page-token']);
      const slug = projectSlugOf(project);
      return {
        items: jobs.slice(start, start + PAGE).map((j) => workflowJobBody(j, slug)),
        next_page_token: start + PAGE < jobs.length ? Buffer.from(JSON.stringify({ k: [start + PAGE] })).toString('base64url') : null,
      };
    },
  );

  app.post<{ Params: { id: string } }>('/workflow/:id/cancel', { schema: { tags, operationId: 'cancelWorkflow', params: idParams } }, async (req, reply) => {
    const { workflow } = await requireWorkflow(deps, req, req.params.id);
    await deps.engine.cancelWorkflow(workflow.id, req.user.id);
    return reply.status(202).send({ message: 'Accepted.' });
  });

  app.post<{ Params: { id: string; approval_request_id: string } }>(
    '/workflow/:id/approve/:approval_request_id',
    { schema: { tags, operationId: 'approvePendingApprovalJobById' } },
    async (req, reply) => {
      const { workflow } = await requireWorkflow(deps, req, req.params.id);
      if (!UUID_RE.test(req.params.approval_request_id)) throw new CircletError('APPROVAL_REQUEST_ID_INVALID');
      await deps.engine.approve(workflow.id, req.params.approval_request_id, req.user.id);
      return reply.status(202).send({ message: 'Accepted.' });
    },
  );

  app.post<{ Params: { id: string }; Body: { from_failed?: boolean; jobs?: string[]; sparse_tree?: boolean; enable_ssh?: boolean } | undefined }>(
    '/workflow/:id/rerun',
    {
      validatorCompiler: strictBodyValidator,
      schema: {
        tags,
        operationId: 'rerunWorkflow',
        params: idParams,
        body: {
          type: ['object', 'null'],
          properties: {
            enable_ssh: { type: 'boolean' },
            from_failed: { type: 'boolean' },
            jobs: { type: 'array', items: { type: 'string', format: 'uuid' } },
            sparse_tree: { type: 'boolean' },
          },
        },
      },
    },
    async (req, reply) => {
      const { workflow } = await requireWorkflow(deps, req, req.params.id);
      const b = req.body ?? {};
      if (b.enable_ssh && !b.jobs) throw new CircletError('RERUN_SSH_WITHOUT_JOBS');
      const id = await deps.engine.rerun(workflow.id, { fromFailed: b.from_failed, jobs: b.jobs, sparseTree: b.sparse_tree, enableSsh: b.enable_ssh }, req.user.id);
      return reply.status(202).send({ workflow_id: id });
    },
  );
}
