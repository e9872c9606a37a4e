// Deploy and Rollback tags (docs/deploys.md): the environments, components and versions jobs
// recorded with `circleci run release`, and `POST /projects/{id}/rollback`, which triggers the
// project's pipeline on its default branch with the target version as the `target_version`
// pipeline parameter (circlet has no separate rollback definition).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import { encodePageToken, decodeOffsetToken } from '../../domain/paging.ts';
import { findComponent, findEnvironment, getComponent, getEnvironment, listComponents, listEnvironments, releaseCount, releasesOf, type DeployComponent, type DeployEnvironment } from '../../storage/deploys.ts';
import { isMember, membershipRole } from '../../storage/organizations.ts';
import { getProject } from '../../storage/projects.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { messageSchema } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { listDefinitions } from '../../storage/pipeline-definitions.ts';

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;
const responses = { 400: messageSchema, 401: messageSchema, 403: messageSchema, 404: messageSchema } as const;
const tags = ['Deploy'];

const envBody = (e: DeployEnvironment) => ({ id: e.id, name: e.name, description: '', labels: [], created_at: e.created_at, updated_at: e.updated_at });

export function deployRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const db = deps.database.db;
  const member = async (req: FastifyRequest, orgId: string) => {
    if (!(await isMember(db, orgId, req.user.id))) throw new CircletError('NO_SUCH_ORGANIZATION');
  };
  const pageOf = <T>(rows: T[], offset: number, size: number) => ({ items: rows.slice(0, size), next_page_token: rows.length > size ? encodePageToken([offset + size]) : null });
  const componentBody = async (c: DeployComponent) => ({ id: c.id, name: c.name, project_id: c.project_id, labels: [], release_count: await releaseCount(db, c.id), created_at: c.created_at, updated_at: c.updated_at });
  const pageQuery = (extra: Record<string, unknown> = {}) => ({
    type: 'object',
    properties: { 'org-id': { type: 'string', format: 'uuid' }, 'page-size': { type: 'integer', minimum: 1, maximum: MAX_PAGE }, 'page-token': { type: 'string' }, ...extra },
    // The spec lists page-size as required, but CircleCI's own client (its MCP server) leaves it
    // out and CircleCI answers: a missing page-size is a page of DEFAULT_PAGE.
    required: ['org-id'],
  });

  app.get<{ Querystring: { 'org-id': string; 'page-size'?: number; 'page-token'?: string } }>('/deploy/environments', { schema: { tags, operationId: 'listEnvironments', querystring: pageQuery(), response: responses } }, async (req) => {
    await member(req, req.query['org-id']);
    const offset = decodeOffsetToken(req.query['page-token']);
    const size = req.query['page-size'] ?? DEFAULT_PAGE;
    const page = pageOf(await listEnvironments(db, req.query['org-id'], offset, size + 1), offset, size);
    return { items: page.items.map(envBody), next_page_token: page.next_page_token };
  });

  app.get<{ Params: { environment_id: string } }>('/deploy/environments/:environment_id', { schema: { tags, operationId: 'getEnvironment', response: responses } }, async (req) => {
    const env = UUID_RE.test(req.params.environment_id) ? await getEnvironment(db, req.params.environment_id) : undefined;
    if (!env || !(await isMember(db, env.organization_id, req.user.id))) throw new CircletError('DEPLOY_ENVIRONMENT_NOT_FOUND');
    return envBody(env);
  });

  app.get<{ Querystring: { 'org-id': string; 'project-id'?: string; 'page-size'?: number; 'page-token'?: string } }>(
    '/deploy/components',
    { schema: { tags, operationId: 'listComponents', querystring: pageQuery({ 'project-id': { type: 'string', format: 'uuid' } }), response: responses } },
    async (req) => {
      await member(req, req.query['org-id']);
      const offset = decodeOffsetToken(req.query['page-token']);
      const size = req.query['page-size'] ?? DEFAULT_PAGE;
      const page = pageOf(await listComponents(db, req.query['org-id'], req.query['project-id'], offset, size + 1), offset, size);
      return { items: await Promise.all(page.items.map(componentBody)), next_page_token: page.next_page_token };
    },
  );

  const requireComponent = async (req: FastifyRequest, id: string) => {
    const c = UUID_RE.test(id) ? await getComponent(db, id) : undefined;
    if (!c || !(await isMember(db, c.organization_id, req.user.id))) throw new CircletError('DEPLOY_COMPONENT_NOT_FOUND');
    return c;
  };

  app.get<{ Params: { component_id: string } }>('/deploy/components/:component_id', { schema: { tags, operationId: 'getComponent', response: responses } }, async (req) =>
    componentBody(await requireComponent(req, req.params.component_id)),
  );

  app.get<{ Params: { component_id: string }; Querystring: { 'environment-id'?: string } }>(
    '/deploy/components/:component_id/versions',
    { schema: { tags, operationId: 'listComponentVersions', querystring: { type: 'object', properties: { 'environment-id': { type: 'string', format: 'uuid' } } }, response: responses } },
    async (req) => {
      const c = await requireComponent(req, req.params.component_id);
      const releases = await releasesOf(db, c.id, req.query['environment-id']);
      // One item per version and environment, from its latest release; the live version of an
      // environment is the one its latest successful release deployed.
      const live = new Map<string, string>();
      for (const r of releases) if (r.status === 'SUCCESS' && !live.has(r.environment_id)) live.set(r.environment_id, r.version);
      const seen = new Set<string>();
      const items = [];
      for (const r of releases) {
        const key = `${r.environment_id}\u0000${r.version}`;
        if (seen.has(key)) continue;
        seen.add(key);
        items.push({ name: r.version, environment_id: r.environment_id, namespace: r.namespace, is_live: live.get(r.environment_id) === r.version, pipeline_id: r.pipeline_id, workflow_id: r.workflow_id, job_id: r.job_id, job_number: r.job_number ?? 0, last_deployed_at: r.updated_at });
      }
      return { items, next_page_token: null };
    },
  );

  // Not in the spec, but CircleCI's own client (its MCP server) reads it before a rollback: a
  // project's deploy settings. circlet makes no releases by itself, and a rollback runs the
  // project's default pipeline definition (docs/deploys.md).
  app.get<{ Params: { project_id: string } }>('/deploy/projects/:project_id/settings', { schema: { hide: true } }, async (req) => {
    const project = UUID_RE.test(req.params.project_id) ? await getProject(db, req.params.project_id) : undefined;
    if (!project || !(await membershipRole(db, project.organization_id, req.user.id))) throw new CircletError('NO_SUCH_PROJECT');
    const [definition] = await listDefinitions(db, project.id);
    return { create_autogenerated_releases: false, ...(definition ? { rollback_pipeline_definition_id: definition.id } : {}) };
  });

  app.post<{ Params: { project_id: string }; Body: { environment_name: string; component_name: string; current_version: string; target_version: string; namespace?: string; parameters?: Record<string, unknown>; reason?: string } }>(
    '/projects/:project_id/rollback',
    {
      schema: {
        tags: ['Rollback'],
        operationId: 'rollbackProject',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { component_name: { type: 'string', minLength: 1 }, current_version: { type: 'string', minLength: 1 }, environment_name: { type: 'string', minLength: 1 }, namespace: { type: 'string' }, parameters: { type: 'object' }, reason: { type: 'string' }, target_version: { type: 'string', minLength: 1 } },
          required: ['environment_name', 'component_name', 'current_version', 'target_version'],
        },
        response: { ...responses, 409: messageSchema },
      },
      validatorCompiler: strictBodyValidator,
    },
    async (req, reply) => {
      const project = UUID_RE.test(req.params.project_id) ? await getProject(db, req.params.project_id) : undefined;
      const role = project ? await membershipRole(db, project.organization_id, req.user.id) : undefined;
      if (!project || !role) throw new CircletError('NO_SUCH_PROJECT');
      if (role === 'viewer') throw new CircletError('VIEWER_READ_ONLY');
      const b = req.body;
      const component = await findComponent(db, project.id, b.component_name);
      const env = await findEnvironment(db, project.organization_id, b.environment_name);
      if (!component || !env) throw new CircletError('DEPLOY_NO_RELEASES', { component_name: b.component_name, environment_name: b.environment_name });
      const versions = new Set((await releasesOf(db, component.id, env.id)).map((r) => r.version));
      if (!versions.has(b.target_version)) throw new CircletError('DEPLOY_VERSION_UNKNOWN', { target_version: b.target_version, component_name: b.component_name, environment_name: b.environment_name });
      const { pipeline } = await deps.engine.trigger({ project, actorId: req.user.id, triggerType: 'api', parameters: { ...(b.parameters ?? {}), target_version: b.target_version } });
      return reply.status(202).send({ id: pipeline.id, rollback_type: 'PIPELINE' });
    },
  );
}
