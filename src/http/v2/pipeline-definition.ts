// Pipeline Definition tag: a project's definitions, each naming the config file of the
// project's repository its pipelines run. Every project starts with one, `.circleci/config.yml`.
import type { FastifyInstance } from 'fastify';
import { newId, nowIso } from '../../domain/clock.ts';
import {
  deleteDefinition,
  insertDefinition,
  listDefinitions,
  updateDefinition,
  type DefinitionChanges,
  type PipelineDefinition,
} from '../../storage/pipeline-definitions.ts';
import type { ProjectWithOrg } from '../../storage/projects.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { requireProjectById } from '../project-access.ts';
import { messageSchema } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { definitionBody } from './presenters/definition.ts';
import { requireDefinition } from './services/definitions.ts';
import { createDefinitionBody, definitionParams, definitionSchema, projectIdParams, updateDefinitionBody } from './schemas/definition.ts';

const errors = { 400: messageSchema, 401: messageSchema, 404: messageSchema } as const;

interface Source {
  provider?: string;
  repo?: { external_id?: string };
  file_path?: string;
}
interface DefinitionBody {
  name?: string;
  description?: string;
  config_source?: Source;
  checkout_source?: Source;
}

/** circlet's definitions read the project's own repository: a repo, when given, must be it. */
function checkRepo(project: ProjectWithOrg, source: Source | undefined, field: string): void {
  const id = source?.repo?.external_id;
  if (id !== undefined && id !== project.id) {
    throw new CircletError('DEFINITION_REPO_NOT_PROJECT', { field, id: project.id });
  }
}

export function pipelineDefinitionRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tags = ['Pipeline Definition'];
  const db = deps.database.db;
  app.setValidatorCompiler(strictBodyValidator);
  type P = { project_id: string };
  type DP = P & { pipeline_definition_id: string };

  app.get<{ Params: P }>(
    '/projects/:project_id/pipeline-definitions',
    {
      schema: {
        tags,
        operationId: 'listPipelineDefinitions',
        params: projectIdParams,
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: definitionSchema } }, required: ['items'] }, ...errors },
      },
    },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      return { items: (await listDefinitions(db, project.id)).map((d) => definitionBody(project, d)) };
    },
  );

  app.post<{ Params: P; Body: DefinitionBody & { name: string; config_source: Source & { file_path: string }; checkout_source: Source } }>(
    '/projects/:project_id/pipeline-definitions',
    { schema: { tags, operationId: 'createPipelineDefinition', params: projectIdParams, body: createDefinitionBody, response: { 200: definitionSchema, ...errors } } },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      const body = req.body;
      checkRepo(project, body.config_source, 'config_source');
      checkRepo(project, body.checkout_source, 'checkout_source');
      const now = nowIso();
      const row: PipelineDefinition = {
        id: newId(),
        project_id: project.id,
        name: body.name,
        description: body.description ?? '',
        config_provider: body.config_source.provider!,
        config_file_path: body.config_source.file_path,
        checkout_provider: body.checkout_source.provider!,
        created_at: now,
        updated_at: now,
      };
      await insertDefinition(db, row);
      return definitionBody(project, row);
    },
  );

  app.get<{ Params: DP }>(
    '/projects/:project_id/pipeline-definitions/:pipeline_definition_id',
    { schema: { tags, operationId: 'getPipelineDefinition', params: definitionParams, response: { 200: definitionSchema, ...errors } } },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      return definitionBody(project, await requireDefinition(deps, project, req.params.pipeline_definition_id));
    },
  );

  app.patch<{ Params: DP; Body: DefinitionBody }>(
    '/projects/:project_id/pipeline-definitions/:pipeline_definition_id',
    { schema: { tags, operationId: 'updatePipelineDefinition', params: definitionParams, body: updateDefinitionBody, response: { 200: definitionSchema, ...errors } } },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      const d = await requireDefinition(deps, project, req.params.pipeline_definition_id);
      const body = req.body ?? {};
      checkRepo(project, body.checkout_source, 'checkout_source');
      const changes: DefinitionChanges = {};
      if (body.name !== undefined) changes.name = body.name;
      if (body.description !== undefined) changes.description = body.description;
      if (body.config_source?.file_path !== undefined) changes.config_file_path = body.config_source.file_path;
      if (body.checkout_source?.provider !== undefined) changes.checkout_provider = body.checkout_source.provider;
      if (Object.keys(changes).length === 0) throw new CircletError('NO_FIELDS');
      changes.updated_at = nowIso();
      await updateDefinition(db, d.id, changes);
      return definitionBody(project, { ...d, ...changes });
    },
  );

  app.delete<{ Params: DP }>(
    '/projects/:project_id/pipeline-definitions/:pipeline_definition_id',
    { schema: { tags, operationId: 'deletePipelineDefinition', params: definitionParams, response: { 200: messageSchema, ...errors } } },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      const d = await requireDefinition(deps, project, req.params.pipeline_definition_id);
      await deleteDefinition(db, d.id);
      return { message: 'Pipeline definition deleted.' };
    },
  );
}
