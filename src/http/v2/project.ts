// Project tag: get, delete and create projects, and their advanced settings.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import { formatOrgSlug, slugOfProject, vcsTypeOf } from '../../domain/slug.ts';
import { findOrganization, getOrganization, isMember, membershipRole, type Organization } from '../../storage/organizations.ts';
import {
  createProject,
  deleteProject,
  findProjectInOrganization,
  patchProjectSettings,
  projectSettings,
  type AdvancedSettings,
  type ProjectWithOrg,
} from '../../storage/projects.ts';
import { followProject } from '../../storage/follows.ts';
import { audit, projectEvent } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { cachedVisibleProject, requireProject, type SlugParams } from '../project-access.ts';
import { errorResponses, messageSchema, projectSlugParams } from '../schemas/common.ts';
import { createProject1Body, createProjectBody, orgIdParams, PROJECT_NAME_RE, orgSlugParams, projectSchema, projectSettingsSchema } from './schemas/project.ts';
import { strictBodyValidator } from '../schemas/validation.ts';

const PROVIDER_NAMES: Record<string, 'GitHub' | 'Bitbucket' | 'CircleCI'> = { github: 'GitHub', bitbucket: 'Bitbucket', circleci: 'CircleCI' };


export function projectBody(p: ProjectWithOrg) {
  return {
    slug: slugOfProject(p),
    name: p.name,
    id: p.id,
    organization_name: p.org_name,
    organization_slug: p.vcs_type === 'circleci' ? `circleci/${p.organization_id}` : formatOrgSlug(p.vcs_type, p.org_name),
    organization_id: p.organization_id,
    vcs_info: { vcs_url: p.vcs_url, provider: PROVIDER_NAMES[p.vcs_type] ?? 'CircleCI', default_branch: p.default_branch },
  };
}

/** The organization an org-slug-or-id names, if the caller belongs to it. */
async function requireOrganization(deps: HttpDeps, req: FastifyRequest, vcs: string | undefined, orgOrId: string): Promise<Organization> {
  let org: Organization | undefined;
  if (vcs === undefined || vcsTypeOf(vcs) === 'circleci') {
    org = UUID_RE.test(orgOrId) ? await getOrganization(deps.database.db, orgOrId.toLowerCase()) : undefined;
  } else {
    const type = vcsTypeOf(vcs);
    org = type ? await findOrganization(deps.database.db, type, orgOrId) : undefined;
  }
  if (!org || !(await isMember(deps.database.db, org.id, req.user.id))) throw new CircletError('ORGANIZATION_NOT_FOUND');
  return org;
}

interface CreateProjectBody {
  name: string;
  vcs_url?: string;
  repo_url?: string;
  default_branch?: string;
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function defaultVcsUrl(org: Organization, name: string): string | undefined {
  if (org.vcs_type === 'github') return `https://github.com/${org.name}/${name}`;
  if (org.vcs_type === 'bitbucket') return `https://bitbucket.org/${org.name}/${name}`;
  return undefined;
}

const slugRoute = '/project/:provider/:organization/:project';

export function projectRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.setValidatorCompiler(strictBodyValidator);

  app.get<{ Params: SlugParams }>(
    slugRoute,
    { schema: { tags: ['Project'], operationId: 'getProjectBySlug', params: projectSlugParams, response: { 200: projectSchema, ...errorResponses } } },
    // Not async: a project the read cache holds is answered without a promise.
    (req) => {
      const cached = cachedVisibleProject(deps, req, req.params);
      return cached ? projectBody(cached) : requireProject(deps, req, req.params).then(projectBody);
    },
  );

  app.delete<{ Params: SlugParams }>(
    slugRoute,
    {
      schema: {
        tags: ['Project'],
        operationId: 'deleteProjectBySlug',
        description: 'Deletes the project and its environment variables, checkout keys and settings. Organization admins only.',
        params: projectSlugParams,
        response: { 200: messageSchema, ...errorResponses, 403: messageSchema },
      },
    },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      if ((await membershipRole(deps.database.db, project.organization_id, req.user.id)) !== 'admin') {
        await audit(deps, req, { ...projectEvent(project, 'project.deleted'), outcome: 'failure', detail: { reason: 'not an organization admin' } });
        throw new CircletError('PERMISSION_DENIED');
      }
      await deleteProject(deps.database.db, project.id);
      await audit(deps, req, projectEvent(project, 'project.deleted'));
      return { message: 'Project deleted.' };
    },
  );

  const create = async (
    req: FastifyRequest,
    body: CreateProjectBody,
    vcs: string | undefined,
    orgOrId: string,
    noUrl: () => CircletError = () => new CircletError('PROJECT_VCS_URL_REQUIRED'),
  ) => {
    const org = await requireOrganization(deps, req, vcs, orgOrId);
    if (body.vcs_url !== undefined && body.repo_url !== undefined && body.vcs_url !== body.repo_url) {
      throw new CircletError('PROJECT_VCS_AND_REPO_URL');
    }
    const vcsUrl = body.vcs_url ?? body.repo_url ?? defaultVcsUrl(org, body.name);
    if (vcsUrl === undefined) throw noUrl();
    if (await findProjectInOrganization(deps.database.db, org.id, body.name)) throw new CircletError('PROJECT_EXISTS');
    try {
      const project = await createProject(deps.database.db, org, { name: body.name, vcsUrl, defaultBranch: body.default_branch });
      await followProject(deps.database.db, req.user.id, project.id); // its creator follows it
      await audit(deps, req, projectEvent(project, 'project.created'));
      return project;
    } catch (err) {
      if (isUniqueViolation(err)) throw new CircletError('PROJECT_EXISTS');
      throw err;
    }
  };
  const createSchema = (params: object) => ({
    tags: ['Project'],
    operationId: 'createProject',
    params,
    body: createProjectBody,
    response: { 200: projectSchema, ...errorResponses, 409: messageSchema },
  });
  app.post<{ Params: { vcs: string; org: string }; Body: CreateProjectBody }>(
    '/organization/:vcs/:org/project',
    { schema: { ...createSchema(orgSlugParams), operationId: 'createProjectByOrgSlug' } },
    async (req) => projectBody(await create(req, req.body, req.params.vcs, req.params.org)),
  );
  app.post<{ Params: { id: string }; Body: CreateProjectBody }>('/organization/:id/project', { schema: createSchema(orgIdParams) }, async (req) =>
    projectBody(await create(req, req.body, undefined, req.params.id)),
  );
  // createProject1 (deprecated by CircleCI, still called by older clients): the project is
  // named by the path; the answer is 201 with the new project's settings. The body is
  // optional and carries circlet's repository fields.
  app.post<{ Params: SlugParams; Body: Omit<CreateProjectBody, 'name'> | undefined }>(
    slugRoute,
    {
      schema: {
        tags: ['Project'],
        operationId: 'createProject1',
        params: projectSlugParams,
        body: createProject1Body,
        response: { 201: projectSettingsSchema, ...errorResponses, 405: messageSchema, 409: messageSchema },
      },
      // The body is optional: none reads as `{}`.
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
    },
    async (req, reply) => {
      const { provider, organization, project: name } = req.params;
      if (!PROJECT_NAME_RE.test(name) || name.length > 100) throw new CircletError('PROJECT_NAME_INVALID', { name });
      const project = await create(req, { ...req.body, name }, provider, organization, () => new CircletError('PROJECT_CREATE_STANDALONE', { path: '/organization/{org}/project' }));
      return reply.status(201).send(projectSettings(project));
    },
  );

  const settingsRoute = `${slugRoute}/settings`;
  app.get<{ Params: SlugParams }>(
    settingsRoute,
    {
      schema: { tags: ['Project'], operationId: 'getProjectSettings', params: projectSlugParams, response: { 200: projectSettingsSchema, ...errorResponses } },
    },
    async (req) => projectSettings(await requireProject(deps, req, req.params)),
  );

  app.patch<{ Params: SlugParams; Body: { advanced?: Partial<AdvancedSettings> } }>(
    settingsRoute,
    {
      schema: {
        tags: ['Project'],
        operationId: 'patchProjectSettings',
        params: projectSlugParams,
        body: projectSettingsSchema,
        response: { 200: projectSettingsSchema, ...errorResponses, 403: messageSchema },
      },
    },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const advanced = req.body.advanced;
      if (advanced === undefined || Object.keys(advanced).length === 0) throw new CircletError('NO_FIELDS');
      // `write_settings_requires_admin`, once on, limits changes to organization admins; only
      // admins may turn it on or off.
      const adminOnly = projectSettings(project).advanced.write_settings_requires_admin || advanced.write_settings_requires_admin !== undefined;
      if (adminOnly && (await membershipRole(deps.database.db, project.organization_id, req.user.id)) !== 'admin') {
        throw new CircletError('PERMISSION_DENIED');
      }
      const result = await patchProjectSettings(deps.database.db, project.id, advanced);
      if (!result) throw new CircletError('PROJECT_NOT_FOUND');
      await audit(deps, req, projectEvent(project, 'project.settings_changed', undefined, { fields: Object.keys(advanced).sort().join(',') }));
      return result;
    },
  );
}
