// Pipeline Definition tag (read-only): every project has exactly one pipeline definition,
// `.circleci/config.yml` of its repository, checked out from the same repository. Its id
// is derived from the project id, so it is stable without being stored.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import { CONFIG_PATH } from '../../engine/pipeline/trigger.ts';
import { isMember } from '../../storage/organizations.ts';
import { getProject, type ProjectWithOrg } from '../../storage/projects.ts';
import type { HttpDeps } from '../deps.ts';
import { notFound, PROJECT_NOT_FOUND } from '../errors.ts';
import { messageSchema } from '../schemas/common.ts';
import { defaultDefinitionId } from './presenters/definition.ts';

/** Namespace of definition ids (an arbitrary fixed UUID). */

const PROVIDERS: Record<string, string> = { github: 'github_oauth', bitbucket: 'bitbucket_oauth', circleci: 'circleci' };

export function pipelineDefinitionBody(p: ProjectWithOrg) {
  const repo = { full_name: `${p.org_name}/${p.name}`, external_id: p.id };
  const provider = PROVIDERS[p.vcs_type] ?? 'circleci';
  return {
    id: defaultDefinitionId(p.id),
    name: 'Default',
    description: `${CONFIG_PATH} of the project's repository`,
    created_at: p.created_at,
    config_source: { provider, repo, file_path: CONFIG_PATH },
    checkout_source: { provider, repo },
  };
}

const repoSchema = { type: 'object', properties: { full_name: { type: 'string' }, external_id: { type: 'string' } } } as const;
const definitionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    description: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    config_source: { type: 'object', properties: { provider: { type: 'string' }, repo: repoSchema, file_path: { type: 'string' } } },
    checkout_source: { type: 'object', properties: { provider: { type: 'string' }, repo: repoSchema } },
  },
  required: ['id', 'name', 'created_at', 'config_source', 'checkout_source'],
} as const;
const errors = { 400: messageSchema, 401: messageSchema, 404: messageSchema } as const;

async function requireProjectById(deps: HttpDeps, req: FastifyRequest, projectId: string): Promise<ProjectWithOrg> {
  const project = UUID_RE.test(projectId) ? await getProject(deps.database.db, projectId) : undefined;
  if (!project || !(await isMember(deps.database.db, project.organization_id, req.user.id))) throw notFound(PROJECT_NOT_FOUND);
  return project;
}

export function pipelineDefinitionRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tags = ['Pipeline Definition'];

  app.get<{ Params: { project_id: string } }>(
    '/projects/:project_id/pipeline-definitions',
    {
      schema: {
        tags,
        operationId: 'listPipelineDefinitions',
        params: { type: 'object', properties: { project_id: { type: 'string' } }, required: ['project_id'] },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: definitionSchema } }, required: ['items'] }, ...errors },
      },
    },
    async (req) => ({ items: [pipelineDefinitionBody(await requireProjectById(deps, req, req.params.project_id))] }),
  );

  app.get<{ Params: { project_id: string; pipeline_definition_id: string } }>(
    '/projects/:project_id/pipeline-definitions/:pipeline_definition_id',
    {
      schema: {
        tags,
        operationId: 'getPipelineDefinition',
        params: {
          type: 'object',
          properties: { project_id: { type: 'string' }, pipeline_definition_id: { type: 'string' } },
          required: ['project_id', 'pipeline_definition_id'],
        },
        response: { 200: definitionSchema, ...errors },
      },
    },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      if (req.params.pipeline_definition_id.toLowerCase() !== defaultDefinitionId(project.id)) throw notFound('Pipeline definition not found');
      return pipelineDefinitionBody(project);
    },
  );
}
