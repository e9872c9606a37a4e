// Pipeline tag: trigger, list and read pipelines, their config, values and workflows,
// and continue a setup pipeline.
import type { FastifyInstance } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { parseNumberSegment } from '../../domain/numbers.ts';
import { decodeOffsetToken, decodePageToken, pageOf } from '../../domain/paging.ts';
import { organizationsOfUser } from '../../storage/organizations.ts';
import { getPipelineByNumber, listPipelines, type Pipeline } from '../../storage/pipelines.ts';
import { getProject, projectsOfOrganizations, type ProjectWithOrg } from '../../storage/projects.ts';
import { getUser } from '../../storage/users.ts';
import { workflowsOfPipeline } from '../../storage/workflows.ts';
import { triggerByUser } from '../api-trigger.ts';
import type { HttpDeps } from '../deps.ts';
import { requirePipeline } from '../pipeline-access.ts';
import { pipelineBody, pipelineConfigBody, pipelineValuesBody, projectSlugOf } from './presenters/pipeline.ts';
import { workflowBody } from './presenters/workflow.ts';
import { requireProject, type SlugParams } from '../project-access.ts';
import { given, optionalText } from '../schemas/optional.ts';
import { parametersSchema, projectSlugParams } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';

const PAGE = 20;


const pageQuery = { type: 'object', properties: { 'page-token': { type: 'string' }, branch: { type: 'string' } } } as const;

export async function presentPipeline(deps: HttpDeps, p: Pipeline, project?: ProjectWithOrg) {
  const proj = project ?? (await getProject(deps.database.db, p.project_id))!;
  const actor = p.trigger_actor_id ? await getUser(deps.database.db, p.trigger_actor_id) : undefined;
  return pipelineBody(p, proj, actor);
}

async function page(deps: HttpDeps, rows: Pipeline[], projects?: Map<string, ProjectWithOrg>) {
  const { items, next_page_token } = pageOf(rows, PAGE, (p) => [p.created_at, p.id]);
  return { items: await Promise.all(items.map((p) => presentPipeline(deps, p, projects?.get(p.project_id)))), next_page_token };
}

function before(token: string | undefined): [string, string] | undefined {
  if (token === undefined) return undefined;
  const [at, id] = decodePageToken(token, 2);
  return [String(at), String(id)];
}

export function pipelineRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tags = ['Pipeline'];

  app.get<{ Querystring: { 'org-slug'?: string; mine?: boolean; 'page-token'?: string } }>(
    '/pipeline',
    {
      schema: {
        tags,
        operationId: 'listPipelines',
        querystring: { type: 'object', properties: { 'org-slug': { type: 'string' }, mine: { type: 'boolean' }, 'page-token': { type: 'string' } } },
      },
    },
    async (req) => {
      let orgs = await organizationsOfUser(deps.database.db, req.user.id);
      const slug = req.query['org-slug']?.replace(/%2f/gi, '/');
      if (slug) {
        const [provider, name] = slug.split('/');
        const vcs = provider === 'gh' || provider === 'github' ? 'github' : provider === 'bb' || provider === 'bitbucket' ? 'bitbucket' : provider;
        orgs = orgs.filter((o) => o.vcs_type === vcs && o.name === name);
      }
      const projects = await projectsOfOrganizations(deps.database.db, orgs.map((o) => o.id));
      const rows = await listPipelines(deps.database.db, {
        projectIds: projects.map((p) => p.id),
        actorId: req.query.mine ? req.user.id : undefined,
        before: before(req.query['page-token']),
        limit: PAGE,
      });
      return page(deps, rows);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/pipeline/:id',
    { schema: { tags, operationId: 'getPipelineById', params: { type: 'object', properties: { id: { type: 'string' } } } } },
    async (req) => {
      const { pipeline, project } = await requirePipeline(deps, req, req.params.id);
      return presentPipeline(deps, pipeline, project);
    },
  );

  app.get<{ Params: { id: string } }>('/pipeline/:id/config', { schema: { tags, operationId: 'getPipelineConfigById' } }, async (req) => {
    const { pipeline } = await requirePipeline(deps, req, req.params.id);
    return pipelineConfigBody(pipeline);
  });

  app.get<{ Params: { id: string } }>('/pipeline/:id/values', { schema: { tags, operationId: 'getPipelineValuesById' } }, async (req) => {
    const { pipeline } = await requirePipeline(deps, req, req.params.id);
    return pipelineValuesBody(pipeline);
  });

  app.get<{ Params: { id: string }; Querystring: { 'page-token'?: string } }>(
    '/pipeline/:id/workflow',
    { schema: { tags, operationId: 'listWorkflowsByPipelineId', querystring: pageQuery } },
    async (req) => {
      const { pipeline, project } = await requirePipeline(deps, req, req.params.id);
      const all = await workflowsOfPipeline(deps.database.db, pipeline.id);
      const start = decodeOffsetToken(req.query['page-token']);
      const slice = all.slice(start, start + PAGE);
      return {
        items: slice.map((w) => workflowBody(w, pipeline.number, projectSlugOf(project))),
        next_page_token: start + PAGE < all.length ? Buffer.from(JSON.stringify({ k: [start + PAGE] })).toString('base64url') : null,
      };
    },
  );

  app.post<{ Body: { 'continuation-key': string; configuration: string; parameters?: Record<string, unknown> } }>(
    '/pipeline/continue',
    {
      // Authenticated by its continuation key, as in CircleCI (the setup job calls it without a token).
      config: { public: true },
      validatorCompiler: strictBodyValidator,
      schema: {
        tags,
        operationId: 'continuePipeline',
        body: {
          type: 'object',
          properties: { 'continuation-key': { type: 'string', minLength: 1 }, configuration: { type: 'string' }, parameters: parametersSchema },
          required: ['continuation-key', 'configuration'],
        },
      },
    },
    async (req) => {
      await deps.engine.continue(req.body['continuation-key'], req.body.configuration, req.body.parameters ?? {});
      return { message: 'Pipeline continued.' };
    },
  );

  app.get<{ Params: SlugParams; Querystring: { branch?: string; 'page-token'?: string } }>(
    '/project/:provider/:organization/:project/pipeline',
    { schema: { tags, operationId: 'listPipelinesForProject', params: projectSlugParams, querystring: pageQuery } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const rows = await listPipelines(deps.database.db, { projectIds: [project.id], branch: req.query.branch, before: before(req.query['page-token']), limit: PAGE });
      return page(deps, rows, new Map([[project.id, project]]));
    },
  );

  app.get<{ Params: SlugParams; Querystring: { 'page-token'?: string } }>(
    '/project/:provider/:organization/:project/pipeline/mine',
    { schema: { tags, operationId: 'listMyPipelines', params: projectSlugParams, querystring: pageQuery } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const rows = await listPipelines(deps.database.db, { projectIds: [project.id], actorId: req.user.id, before: before(req.query['page-token']), limit: PAGE });
      return page(deps, rows, new Map([[project.id, project]]));
    },
  );

  app.get<{ Params: SlugParams & { number: string } }>(
    '/project/:provider/:organization/:project/pipeline/:number',
    { schema: { tags, operationId: 'getPipelineByNumber' } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const n = parseNumberSegment(req.params.number);
      const pipeline = n !== undefined ? await getPipelineByNumber(deps.database.db, project.id, n) : undefined;
      if (!pipeline) throw new CircletError('PIPELINE_NOT_FOUND');
      return presentPipeline(deps, pipeline, project);
    },
  );

  app.post<{ Params: SlugParams; Body: { branch?: string; tag?: string; parameters?: Record<string, unknown> } | undefined }>(
    '/project/:provider/:organization/:project/pipeline',
    {
      validatorCompiler: strictBodyValidator,
      schema: {
        tags,
        operationId: 'triggerPipeline',
        params: projectSlugParams,
        body: {
          type: ['object', 'null'],
          properties: { branch: optionalText, tag: optionalText, parameters: parametersSchema },
        },
      },
    },
    async (req, reply) => {
      const project = await requireProject(deps, req, req.params);
      // An empty branch or tag is not given (clients send `""` when the user named none).
      const body = { ...req.body, branch: given(req.body?.branch), tag: given(req.body?.tag) };
      if (body.branch !== undefined && body.tag !== undefined) throw new CircletError('PIPELINE_BRANCH_AND_TAG');
      const pipeline = await triggerByUser(deps, req, project, { branch: body.branch, tag: body.tag, parameters: body.parameters });
      return reply.status(201).send({ id: pipeline.id, state: pipeline.state, number: pipeline.number, created_at: pipeline.created_at });
    },
  );
}
