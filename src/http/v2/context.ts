// Context tag: contexts of an organization, their environment variables (values sealed,
// never returned) and their restrictions. Only members of the owning organization see a
// context; to anyone else it answers exactly like one that does not exist (404).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { UUID_RE } from '../../domain/clock.ts';
import { decodePageToken, pageOf } from '../../domain/paging.ts';
import { decodeSlashes, vcsTypeOf } from '../../domain/slug.ts';
import { contextExpressionProblem, MAX_EXPRESSION_LENGTH } from '../../config/context-expression.ts';
import {
  createContext,
  createContextRestriction,
  deleteContext,
  deleteContextEnvVar,
  deleteContextRestriction,
  getContext,
  listContextEnvVars,
  listContextRestrictions,
  listContexts,
  MAX_CONTEXTS_PER_ORGANIZATION,
  MAX_ENV_VARS_PER_CONTEXT,
  membershipRole,
  putContextEnvVar,
  type Context,
  type ContextEnvVar,
  type ContextRestriction,
} from '../../storage/contexts.ts';
import { findOrganization, getOrganization, isMember, type Organization } from '../../storage/organizations.ts';
import { getGroup } from '../../storage/org-groups.ts';
import { getProject } from '../../storage/projects.ts';
import { audit } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { errorResponses, messageSchema } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';

const PAGE_SIZE = 20;
const MAX_CONTEXT_NAME = 200;
const MAX_ENV_VAR_NAME = 300;
const MAX_ENV_VAR_VALUE = 32 * 1024;
const ENV_VAR_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

// ---- schemas (the shapes of CircleCI's spec, tag Context) ----

const contextSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'name', 'created_at'],
} as const;

const contextListSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: contextSchema }, next_page_token: { type: 'string', nullable: true } },
  required: ['items', 'next_page_token'],
} as const;

const envVarSchema = {
  type: 'object',
  properties: {
    variable: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    context_id: { type: 'string', format: 'uuid' },
  },
  required: ['variable', 'created_at', 'updated_at', 'context_id'],
} as const;

const envVarListSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: envVarSchema }, next_page_token: { type: 'string', nullable: true } },
  required: ['items', 'next_page_token'],
} as const;

const restrictionProperties = {
  id: { type: 'string', format: 'uuid' },
  project_id: { type: 'string', format: 'uuid' },
  name: { type: 'string' },
  restriction_type: { type: 'string', enum: ['project', 'expression', 'group'] },
  restriction_value: { type: 'string' },
} as const;

const restrictionCreatedSchema = { type: 'object', properties: restrictionProperties } as const;

const restrictionListSchema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: { type: 'object', properties: { context_id: { type: 'string', format: 'uuid' }, ...restrictionProperties } } },
    next_page_token: { type: 'string', nullable: true },
  },
  required: ['items', 'next_page_token'],
} as const;

const createContextBody = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    owner: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        slug: { type: 'string' },
        type: { type: 'string', enum: ['account', 'organization'] },
      },
      additionalProperties: false,
    },
  },
  required: ['name', 'owner'],
  additionalProperties: false,
} as const;

const putEnvVarBody = {
  type: 'object',
  properties: { value: { type: 'string' } },
  required: ['value'],
  additionalProperties: false,
} as const;

const createRestrictionBody = {
  type: 'object',
  properties: {
    restriction_type: { type: 'string', enum: ['project', 'expression', 'group'] },
    restriction_value: { type: 'string' },
  },
  required: ['restriction_type', 'restriction_value'],
  additionalProperties: false,
} as const;

const listContextsQuery = {
  type: 'object',
  properties: {
    'owner-id': { type: 'string' },
    'owner-slug': { type: 'string' },
    'owner-type': { type: 'string', enum: ['account', 'organization'] },
    'page-token': { type: 'string' },
  },
} as const;

const contextIdParams = { type: 'object', properties: { context_id: { type: 'string' } }, required: ['context_id'] } as const;
const envVarParams = {
  type: 'object',
  properties: { context_id: { type: 'string' }, env_var_name: { type: 'string' } },
  required: ['context_id', 'env_var_name'],
} as const;
const restrictionParams = {
  type: 'object',
  properties: { context_id: { type: 'string' }, restriction_id: { type: 'string' } },
  required: ['context_id', 'restriction_id'],
} as const;

const responses = { ...errorResponses, 403: messageSchema, 409: messageSchema } as const;

// ---- bodies ----

function contextBody(c: Context) {
  return { id: c.id, name: c.name, created_at: c.created_at };
}

function envVarBody(v: ContextEnvVar) {
  return { variable: v.name, created_at: v.created_at, updated_at: v.updated_at, context_id: v.context_id };
}

function restrictionBody(r: ContextRestriction) {
  return {
    id: r.id,
    ...(r.restriction_type === 'project' ? { project_id: r.restriction_value } : {}),
    name: r.name ?? '',
    restriction_type: r.restriction_type,
    restriction_value: r.restriction_value,
  };
}

// ---- validation and access ----

/** Why a context name is not acceptable (CircleCI's documented constraints), or undefined. */
export function contextNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'must contain at least one non-whitespace character';
  if (name.length > MAX_CONTEXT_NAME) return `must be ${MAX_CONTEXT_NAME} characters or fewer`;
  if (name !== name.trim()) return 'must not have leading or trailing whitespace';
  if (/[\n\r\v\f\u0085\u2028\u2029]/.test(name)) return 'must not contain vertical whitespace';
  return undefined;
}

/** Why an environment variable name is not acceptable, or undefined. */
export function envVarNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_ENV_VAR_NAME) return `must be ${MAX_ENV_VAR_NAME} characters or fewer`;
  if (!ENV_VAR_NAME_RE.test(name)) return 'must start with a letter or underscore and contain only letters, digits and underscores';
  return undefined;
}

interface OwnerRef {
  id?: string;
  slug?: string;
  type?: string;
}

/**
 * The organization an owner reference names, when the caller is a member of it. Owners are
 * given by id or by slug (`gh/acme`, `bb/acme`, `circleci/<org-id>`); circlet has no separate
 * accounts, so an `account` owner id is an organization id.
 */
async function resolveOwner(deps: HttpDeps, req: FastifyRequest, owner: OwnerRef, where: { id: string; slug: string; type: string }): Promise<Organization> {
  if (owner.id !== undefined && owner.slug !== undefined) throw new CircletError('OWNER_ID_AND_SLUG', { id: where.id, slug: where.slug });
  if (owner.id === undefined && owner.slug === undefined) throw new CircletError('OWNER_REQUIRED', { id: where.id, slug: where.slug });
  let org: Organization | undefined;
  if (owner.id !== undefined) {
    if (!UUID_RE.test(owner.id)) throw new CircletError('INVALID_UUID', { field: where.id });
    org = await getOrganization(deps.database.db, owner.id);
  } else {
    if (owner.type === 'account') throw new CircletError('OWNER_SLUG_WITH_ACCOUNT', { slug: where.slug, type: where.type, id: where.id });
    const parts = decodeSlashes(owner.slug!).split('/');
    const vcs = parts.length === 2 && parts[1] ? vcsTypeOf(parts[0]!) : undefined;
    if (!vcs) throw new CircletError('OWNER_SLUG_INVALID', { slug: where.slug, value: owner.slug! });
    if (vcs === 'circleci') {
      org = UUID_RE.test(parts[1]!) ? await getOrganization(deps.database.db, parts[1]!) : undefined;
      if (org && org.vcs_type !== 'circleci') org = undefined;
    } else {
      org = await findOrganization(deps.database.db, vcs, parts[1]!);
    }
  }
  if (!org || !(await isMember(deps.database.db, org.id, req.user.id))) throw new CircletError('ORGANIZATION_DOES_NOT_EXIST');
  return org;
}

/**
 * The context a path names, when the caller is a member of its organization. A malformed id
 * is a 400 on the restriction routes (the spec declares `context_id is invalid.` there) and
 * a 404 elsewhere, where the spec declares no 400.
 */
async function requireContext(deps: HttpDeps, req: FastifyRequest, contextId: string, malformed: 400 | 404 = 404): Promise<Context> {
  if (!UUID_RE.test(contextId)) throw malformed === 400 ? new CircletError('CONTEXT_ID_INVALID') : new CircletError('CONTEXT_NOT_FOUND');
  const context = await getContext(deps.database.db, contextId);
  if (!context || !(await isMember(deps.database.db, context.organization_id, req.user.id))) throw new CircletError('CONTEXT_NOT_FOUND');
  return context;
}

async function requireAdmin(deps: HttpDeps, req: FastifyRequest, context: Context): Promise<void> {
  const role = await membershipRole(deps.database.db, context.organization_id, req.user.id);
  if (role !== 'admin') throw new CircletError('CONTEXT_RESTRICTION_ADMIN_ONLY');
}

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
