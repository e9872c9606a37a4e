// Context tag: contexts of an organization, their environment variables (values sealed,
// never returned) and their restrictions. Only members of the owning organization see a
// context; to anyone else it answers exactly like one that does not exist (404).
import type { FastifyInstance } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { UUID_RE } from '../../domain/clock.ts';
import { decodePageToken, pageOf } from '../../domain/paging.ts';
import { contextExpressionProblem, MAX_EXPRESSION_LENGTH } from '../../config/context-expression.ts';
import {
  createContext,
  createContextRestriction,
  deleteContext,
  deleteContextEnvVar,
  deleteContextRestriction,
  listContextEnvVars,
  listContextRestrictions,
  listContexts,
  MAX_CONTEXTS_PER_ORGANIZATION,
  MAX_ENV_VARS_PER_CONTEXT,
  putContextEnvVar,
} from '../../storage/contexts.ts';
import { getGroup } from '../../storage/org-groups.ts';
import { getProject } from '../../storage/projects.ts';
import { audit } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { messageSchema } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { contextBody, envVarBody, restrictionBody } from './presenters/context.ts';
import {
  contextIdParams,
  contextListSchema,
  contextSchema,
  createContextBody,
  createRestrictionBody,
  envVarListSchema,
  envVarParams,
  envVarSchema,
  listContextsQuery,
  putEnvVarBody,
  responses,
  restrictionCreatedSchema,
  restrictionListSchema,
  restrictionParams,
} from './schemas/context.ts';
import { contextNameProblem, envVarNameProblem, requireAdmin, requireContext, resolveOwner, type OwnerRef } from './services/context-access.ts';

const PAGE_SIZE = 20;
const MAX_ENV_VAR_VALUE = 32 * 1024;

// ---- routes ----

export function contextRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Body: { name: string; owner: OwnerRef } }>(
    '/context',
    {
      schema: { tags: ['Context'], operationId: 'createContext', body: createContextBody, response: { 200: contextSchema, ...responses } },
      validatorCompiler: strictBodyValidator,
    },
    async (req) => {
      const { name, owner } = req.body;
      const problem = contextNameProblem(name);
      if (problem) throw new CircletError('INVALID_BODY_FIELD', { problem, field: 'name' });
      const org = await resolveOwner(deps, req, owner, { id: 'owner.id', slug: 'owner.slug', type: 'owner.type' });
      const created = await createContext(deps.database.db, org.id, name);
      if (!created.ok) {
        if (created.reason === 'limit') throw new CircletError('CONTEXT_LIMIT', { max: MAX_CONTEXTS_PER_ORGANIZATION });
        throw new CircletError('CONTEXT_EXISTS', { name });
      }
      await audit(deps, req, { action: 'context.created', organizationId: created.context.organization_id, target: { type: 'context', id: created.context.id, name: created.context.name } });
      return contextBody(created.context);
    },
  );

  app.get<{ Querystring: { 'owner-id'?: string; 'owner-slug'?: string; 'owner-type'?: string; 'page-token'?: string } }>(
    '/context',
    { schema: { tags: ['Context'], operationId: 'listContexts', querystring: listContextsQuery, response: { 200: contextListSchema, ...responses } } },
    async (req) => {
      const q = req.query;
      const org = await resolveOwner(
        deps,
        req,
        { id: q['owner-id'], slug: q['owner-slug'], type: q['owner-type'] },
        { id: 'owner-id', slug: 'owner-slug', type: 'owner-type' },
      );
      const after = q['page-token'] ? (decodePageToken(q['page-token'], 2) as [string, string]) : undefined;
      if (after && (typeof after[0] !== 'string' || typeof after[1] !== 'string')) throw new CircletError('BAD_PAGE_TOKEN');
      const rows = await listContexts(deps.database.db, org.id, PAGE_SIZE, after);
      const page = pageOf(rows, PAGE_SIZE, (c) => [c.name, c.id]);
      return { items: page.items.map(contextBody), next_page_token: page.next_page_token };
    },
  );

  app.get<{ Params: { context_id: string } }>(
    '/context/:context_id',
    { schema: { tags: ['Context'], operationId: 'getContext', params: contextIdParams, response: { 200: contextSchema, ...responses } } },
    async (req) => contextBody(await requireContext(deps, req, req.params.context_id)),
  );

  app.delete<{ Params: { context_id: string } }>(
    '/context/:context_id',
    { schema: { tags: ['Context'], operationId: 'deleteContext', params: contextIdParams, response: { 200: messageSchema, ...responses } } },
    async (req) => {
      const context = await requireContext(deps, req, req.params.context_id);
      await deleteContext(deps.database.db, context.id);
      await audit(deps, req, { action: 'context.deleted', organizationId: context.organization_id, target: { type: 'context', id: context.id, name: context.name } });
      return { message: 'Context deleted.' };
    },
  );

  app.get<{ Params: { context_id: string }; Querystring: { 'page-token'?: string } }>(
    '/context/:context_id/environment-variable',
    {
      schema: {
        tags: ['Context'],
        operationId: 'listEnvironmentVariablesFromContext',
        params: contextIdParams,
        querystring: { type: 'object', properties: { 'page-token': { type: 'string' } } },
        response: { 200: envVarListSchema, ...responses },
      },
    },
    async (req) => {
      const context = await requireContext(deps, req, req.params.context_id);
      const token = req.query['page-token'];
      const after = token ? decodePageToken(token, 1)[0] : undefined;
      if (after !== undefined && typeof after !== 'string') throw new CircletError('BAD_PAGE_TOKEN');
      const rows = await listContextEnvVars(deps.database.db, context.id, PAGE_SIZE, after);
      const page = pageOf(rows, PAGE_SIZE, (v) => [v.name]);
      return { items: page.items.map(envVarBody), next_page_token: page.next_page_token };
    },
  );

  app.put<{ Params: { context_id: string; env_var_name: string }; Body: { value: string } }>(
    '/context/:context_id/environment-variable/:env_var_name',
    {
      schema: {
        tags: ['Context'],
        operationId: 'addEnvironmentVariableToContext',
        params: envVarParams,
        body: putEnvVarBody,
        response: { 200: envVarSchema, ...responses },
      },
      validatorCompiler: strictBodyValidator,
    },
    async (req) => {
      const context = await requireContext(deps, req, req.params.context_id);
      const name = req.params.env_var_name;
      const problem = envVarNameProblem(name);
      if (problem) throw new CircletError('ENV_VAR_NAME_INVALID', { name: name.slice(0, 100), problem });
      if (req.body.value.length > MAX_ENV_VAR_VALUE) throw new CircletError('FIELD_TOO_LONG', { max: MAX_ENV_VAR_VALUE, field: 'value' });
      const put = await putContextEnvVar(deps.database.db, deps.secrets, context.id, name, req.body.value);
      if (!put.ok) throw new CircletError('CONTEXT_ENV_VAR_LIMIT', { max: MAX_ENV_VARS_PER_CONTEXT });
      await audit(deps, req, { action: 'context.env_var_set', organizationId: context.organization_id, target: { type: 'context', id: context.id, name: context.name }, detail: { env_var: name } });
      return envVarBody(put.envVar);
    },
  );

  app.delete<{ Params: { context_id: string; env_var_name: string } }>(
    '/context/:context_id/environment-variable/:env_var_name',
    {
      schema: {
        tags: ['Context'],
        operationId: 'deleteEnvironmentVariableFromContext',
        params: envVarParams,
        response: { 200: messageSchema, ...responses },
      },
    },
    async (req) => {
      // Idempotent, like CircleCI's: the official CLI relies on a missing variable not being an error.
      const context = await requireContext(deps, req, req.params.context_id);
      const existed = await deleteContextEnvVar(deps.database.db, context.id, req.params.env_var_name);
      await audit(deps, req, { action: 'context.env_var_deleted', organizationId: context.organization_id, target: { type: 'context', id: context.id, name: context.name }, detail: { env_var: req.params.env_var_name, existed } });
      return { message: 'Environment variable deleted.' };
    },
  );

  app.get<{ Params: { context_id: string } }>(
    '/context/:context_id/restrictions',
    { schema: { tags: ['Context'], operationId: 'getContextRestrictions', params: contextIdParams, response: { 200: restrictionListSchema, ...responses } } },
    async (req) => {
      const context = await requireContext(deps, req, req.params.context_id, 400);
      const rows = await listContextRestrictions(deps.database.db, context.id);
      return { items: rows.map((r) => ({ context_id: r.context_id, ...restrictionBody(r) })), next_page_token: null };
    },
  );

  app.post<{ Params: { context_id: string }; Body: { restriction_type: string; restriction_value: string } }>(
    '/context/:context_id/restrictions',
    {
      schema: {
        tags: ['Context'],
        operationId: 'createContextRestriction',
        params: contextIdParams,
        body: createRestrictionBody,
        response: { 201: restrictionCreatedSchema, ...responses },
      },
      validatorCompiler: strictBodyValidator,
    },
    async (req, reply) => {
      const context = await requireContext(deps, req, req.params.context_id, 400);
      await requireAdmin(deps, req, context);
      const { restriction_type: type, restriction_value: value } = req.body;
      let name: string | null = null;
      if (type === 'group') {
        const group = UUID_RE.test(value) ? await getGroup(deps.database.db, context.organization_id, value) : undefined;
        if (!group) throw new CircletError('RESTRICTION_GROUP_UNKNOWN');
        name = group.name;
      } else if (type === 'project') {
        const project = UUID_RE.test(value) ? await getProject(deps.database.db, value) : undefined;
        if (!project || project.organization_id !== context.organization_id) throw new CircletError('PROJECT_NO_ACCESS');
        name = project.name;
      } else {
        if (value.length > MAX_EXPRESSION_LENGTH) throw new CircletError('FIELD_TOO_LONG', { max: MAX_EXPRESSION_LENGTH, field: 'restriction_value' });
        const problem = contextExpressionProblem(value);
        if (problem) throw new CircletError('RESTRICTION_EXPRESSION_INVALID', { problem });
      }
      const created = await createContextRestriction(deps.database.db, context.id, { type, value, name });
      if (!created.ok) throw new CircletError('CONTEXT_RESTRICTION_EXISTS');
      await audit(deps, req, { action: 'context.restriction_created', organizationId: context.organization_id, target: { type: 'context', id: context.id, name: context.name }, detail: { restriction_id: created.restriction.id, restriction_type: type } });
      return reply.status(201).send(restrictionBody(created.restriction));
    },
  );

  app.delete<{ Params: { context_id: string; restriction_id: string } }>(
    '/context/:context_id/restrictions/:restriction_id',
    {
      schema: {
        tags: ['Context'],
        operationId: 'deleteContextRestriction',
        params: restrictionParams,
        response: { 200: messageSchema, ...responses },
      },
    },
    async (req) => {
      const context = await requireContext(deps, req, req.params.context_id, 400);
      if (!UUID_RE.test(req.params.restriction_id)) throw new CircletError('RESTRICTION_ID_INVALID');
      await requireAdmin(deps, req, context);
      if (!(await deleteContextRestriction(deps.database.db, context.id, req.params.restriction_id))) throw new CircletError('CONTEXT_RESTRICTION_NOT_FOUND');
      await audit(deps, req, { action: 'context.restriction_deleted', organizationId: context.organization_id, target: { type: 'context', id: context.id, name: context.name }, detail: { restriction_id: req.params.restriction_id } });
      return { message: 'Context restriction deleted.' };
    },
  );
}
