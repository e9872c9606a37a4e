// Project tag: project environment variables. Values are sealed at rest and only ever
// answered masked.
import type { FastifyInstance } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { decodePageToken, pageOf } from '../../domain/paging.ts';
import { deleteEnvVar, getEnvVar, listEnvVars, putEnvVar, type EnvVar } from '../../storage/env-vars.ts';
import { audit, projectEvent } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { requireProject, type SlugParams } from '../project-access.ts';
import { errorResponses, messageSchema, pageTokenQuery, projectSlugParams } from '../schemas/common.ts';
import { createEnvVarBody, ENV_VAR_NAME_PATTERN, envVarListSchema, envVarSchema } from './schemas/project.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { maskEnvValue } from './presenters/env-var.ts';

export const ENV_VAR_PAGE_SIZE = 100;
const NAME_RE = new RegExp(ENV_VAR_NAME_PATTERN);

/**
 * Masks a value the way CircleCI does: `xxxx` and the last four characters; values of four
 * characters or fewer are masked entirely (`xxxx`).
 */

function envVarBody(v: EnvVar) {
  return { name: v.name, value: maskEnvValue(v.value), 'created-at': v.created_at };
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new CircletError('ENV_VAR_NAME_CHARACTERS', { name });
  }
}

const nameParams = {
  type: 'object',
  properties: { ...projectSlugParams.properties, name: { type: 'string' } },
  required: [...projectSlugParams.required, 'name'],
} as const;

const base = '/project/:provider/:organization/:project/envvar';

export function envVarRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.setValidatorCompiler(strictBodyValidator);

  app.get<{ Params: SlugParams; Querystring: { 'page-token'?: string } }>(
    base,
    {
      schema: {
        tags: ['Project'],
        operationId: 'listEnvVars',
        params: projectSlugParams,
        querystring: pageTokenQuery,
        response: { 200: envVarListSchema, ...errorResponses },
      },
    },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const token = req.query['page-token'];
      let after: string | undefined;
      if (token !== undefined) {
        const [name] = decodePageToken(token, 1);
        if (typeof name !== 'string') throw new CircletError('BAD_PAGE_TOKEN');
        after = name;
      }
      const rows = await listEnvVars(deps.database.db, deps.secrets, project.id, ENV_VAR_PAGE_SIZE, after);
      const page = pageOf(rows, ENV_VAR_PAGE_SIZE, (r) => [r.name]);
      return { items: page.items.map(envVarBody), next_page_token: page.next_page_token };
    },
  );

  app.post<{ Params: SlugParams; Body: { name: string; value: string } }>(
    base,
    {
      schema: {
        tags: ['Project'],
        operationId: 'createEnvVar',
        params: projectSlugParams,
        body: createEnvVarBody,
        response: { 201: envVarSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const project = await requireProject(deps, req, req.params);
      const v = await putEnvVar(deps.database.db, deps.secrets, project.id, req.body.name, req.body.value);
      await audit(deps, req, projectEvent(project, 'env_var.created', { type: 'env_var', name: v.name }));
      return reply.status(201).send(envVarBody(v));
    },
  );

  app.get<{ Params: SlugParams & { name: string } }>(
    `${base}/:name`,
    { schema: { tags: ['Project'], operationId: 'getEnvVar', params: nameParams, response: { 200: envVarSchema, ...errorResponses } } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      checkName(req.params.name);
      const v = await getEnvVar(deps.database.db, deps.secrets, project.id, req.params.name);
      if (!v) throw new CircletError('ENV_VAR_NOT_FOUND');
      return envVarBody(v);
    },
  );

  app.delete<{ Params: SlugParams & { name: string } }>(
    `${base}/:name`,
    { schema: { tags: ['Project'], operationId: 'deleteEnvVar', params: nameParams, response: { 200: messageSchema, ...errorResponses } } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      checkName(req.params.name);
      if (!(await deleteEnvVar(deps.database.db, project.id, req.params.name))) throw new CircletError('ENV_VAR_NOT_FOUND');
      await audit(deps, req, projectEvent(project, 'env_var.deleted', { type: 'env_var', name: req.params.name }));
      return { message: 'Environment variable deleted.' };
    },
  );
}
