// Groups tag: groups of users in an organization (docs/organizations.md). Members list and
// read them; admins create and delete them. Group members are managed with
// `circlet org group add-member|remove-member` (CircleCI's API has no operation for it);
// a context restriction of type `group` admits only the group's members.
import type { FastifyInstance } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import { decodePageToken, pageOf } from '../../domain/paging.ts';
import { countGroups, createGroup, deleteGroup, getGroup, listGroups, type OrgGroup } from '../../storage/org-groups.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { messageSchema } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { requireOrgRole } from './services/org-access.ts';

const MAX_NAME = 100;
const MAX_DESCRIPTION = 1_000;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

const groupSchema = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' } }, required: ['id', 'name', 'description'] } as const;
const responses = { 400: messageSchema, 401: messageSchema, 403: messageSchema, 404: messageSchema, 409: messageSchema } as const;
const orgParams = { type: 'object', properties: { org_id: { type: 'string' } }, required: ['org_id'] } as const;
const groupParams = { type: 'object', properties: { org_id: { type: 'string' }, group_id: { type: 'string' } }, required: ['org_id', 'group_id'] } as const;

const present = (g: OrgGroup) => ({ id: g.id, name: g.name, description: g.description });

export function groupRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const db = deps.database.db;
  const tags = ['Groups'];
  const orgOf = async (req: Parameters<typeof requireOrgRole>[1], orgId: string, least: 'viewer' | 'admin') => {
    if (!UUID_RE.test(orgId)) throw new CircletError('NO_SUCH_ORGANIZATION');
    return (await requireOrgRole(deps, req, orgId, least)).org;
  };

  app.get<{ Params: { org_id: string }; Querystring: { limit?: number; 'page-token'?: string } }>(
    '/organizations/:org_id/groups',
    {
      schema: {
        tags,
        operationId: 'getOrganizationGroups',
        params: orgParams,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT }, 'page-token': { type: 'string' } } },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: groupSchema }, next_page_token: { type: 'string', nullable: true }, total_count: { type: 'integer' } }, required: ['items', 'next_page_token', 'total_count'] }, ...responses },
      },
    },
    async (req) => {
      const org = await orgOf(req, req.params.org_id, 'viewer');
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const token = req.query['page-token'];
      const after = token ? (decodePageToken(token, 2) as [string, string]) : undefined;
      const page = pageOf(await listGroups(db, org.id, limit + 1, after), limit, (g) => [g.name, g.id]);
      return { items: page.items.map(present), next_page_token: page.next_page_token, total_count: await countGroups(db, org.id) };
    },
  );

  app.post<{ Params: { org_id: string }; Body: { name: string; description?: string } }>(
    '/organizations/:org_id/groups',
    {
      schema: {
        tags,
        operationId: 'createOrganizationGroup',
        params: orgParams,
        body: { type: 'object', additionalProperties: false, properties: { name: { type: 'string' }, description: { type: 'string' } }, required: ['name'] },
        response: { 201: groupSchema, ...responses },
      },
      validatorCompiler: strictBodyValidator,
    },
    async (req, reply) => {
      const org = await orgOf(req, req.params.org_id, 'admin');
      const name = req.body.name.trim();
      const description = req.body.description ?? '';
      if (name === '' || name.length > MAX_NAME) throw new CircletError('NAME_LENGTH', { max: MAX_NAME });
      if (description.length > MAX_DESCRIPTION) throw new CircletError('DESCRIPTION_TOO_LONG', { max: MAX_DESCRIPTION });
      const group = await createGroup(db, org.id, name, description);
      if (!group) throw new CircletError('GROUP_EXISTS', { name });
      return reply.status(201).send(present(group));
    },
  );

  app.get<{ Params: { org_id: string; group_id: string } }>(
    '/organizations/:org_id/groups/:group_id',
    { schema: { tags, operationId: 'getGroup', params: groupParams, response: { 200: groupSchema, ...responses } } },
    async (req) => {
      const org = await orgOf(req, req.params.org_id, 'viewer');
      const group = UUID_RE.test(req.params.group_id) ? await getGroup(db, org.id, req.params.group_id) : undefined;
      if (!group) throw new CircletError('GROUP_NOT_FOUND');
      return present(group);
    },
  );

  app.delete<{ Params: { org_id: string; group_id: string } }>(
    '/organizations/:org_id/groups/:group_id',
    { schema: { tags, operationId: 'deleteGroup', params: groupParams, response: { 200: messageSchema, ...responses } } },
    async (req) => {
      const org = await orgOf(req, req.params.org_id, 'admin');
      const group = UUID_RE.test(req.params.group_id) ? await getGroup(db, org.id, req.params.group_id) : undefined;
      if (!group) throw new CircletError('GROUP_NOT_FOUND');
      await deleteGroup(db, group.id);
      return { message: 'Group deleted.' };
    },
  );
}
