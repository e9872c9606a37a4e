// Organization tag: create and delete organizations, and the URL orb allow-list (docs/organizations.md).
// Creating makes the caller the organization's admin; deleting (admins only) removes its
// projects, their pipelines and settings, its contexts and groups. Routes take the org as
// `{vcs}/{org}` (two segments, or `%2F`-escaped) or as its UUID.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import { formatOrgSlug } from '../../domain/slug.ts';
import { addMember, createOrganization, deleteOrganization, type Organization } from '../../storage/organizations.ts';
import { createAllowEntry, deleteAllowEntry, listAllowEntries } from '../../storage/url-orbs.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { errorResponses, messageSchema } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { requireOrgRole } from './services/org-access.ts';

const MAX_NAME = 100;
const MAX_PREFIX = 2_000;
const MAX_ENTRIES = 100;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const responses = { ...errorResponses, 403: messageSchema, 409: messageSchema } as const;

const orgSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, slug: { type: 'string' }, vcs_type: { type: 'string' } },
  required: ['id', 'name', 'slug', 'vcs_type'],
} as const;
const entrySchema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, prefix: { type: 'string' }, auth: { type: 'string' } },
  required: ['id', 'name', 'prefix', 'auth'],
} as const;
const idMessage = { type: 'object', properties: { id: { type: 'string' }, message: { type: 'string' } }, required: ['id', 'message'] } as const;
const createBody = {
  type: 'object',
  properties: { name: { type: 'string' }, vcs_type: { type: 'string', enum: ['github', 'bitbucket', 'circleci'] } },
  required: ['name', 'vcs_type'],
} as const;
const entryBody = {
  type: 'object',
  properties: { name: { type: 'string' }, prefix: { type: 'string' }, auth: { type: 'string', enum: ['github-oauth', 'none', 'bitbucket-oauth', 'github-app'] } },
  required: ['name', 'prefix', 'auth'],
} as const;

export function organizationSlug(org: Organization): string {
  return org.vcs_type === 'circleci' ? `circleci/${org.id}` : formatOrgSlug(org.vcs_type, org.name);
}

type OrgReq = FastifyRequest<{ Params: { vcs?: string; org?: string; id?: string } }>;
const slugOf = (req: { params: { vcs?: string; org?: string; id?: string } }) => (req.params.id !== undefined ? req.params.id : `${req.params.vcs}/${req.params.org}`);

/** A route's two paths: `/organization/:id<tail>` (the spec's, also taking a `%2F`-escaped slug) and its hidden twin `/organization/:vcs/:org<tail>`. */
function both(tail: string): [string, string] {
  return [`/organization/:vcs/:org${tail}`, `/organization/:id${tail}`];
}

export function organizationRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const db = deps.database.db;
  const tags = ['Organization'];

  app.post<{ Body: { name: string; vcs_type: 'github' | 'bitbucket' | 'circleci' } }>(
    '/organization',
    { schema: { tags, operationId: 'createOrganization', body: createBody, response: { 201: orgSchema, ...responses } }, validatorCompiler: strictBodyValidator },
    async (req, reply) => {
      const { name, vcs_type } = req.body;
      if (name.length > MAX_NAME || !NAME_RE.test(name)) throw new CircletError('ORGANIZATION_NAME_INVALID', { max: MAX_NAME });
      const org = await createOrganization(db, vcs_type, name);
      if (!org) throw new CircletError('ORGANIZATION_EXISTS', { name });
      await addMember(db, org.id, req.user.id, 'admin');
      return reply.status(201).send({ id: org.id, name: org.name, slug: organizationSlug(org), vcs_type: org.vcs_type });
    },
  );

  const [bySlug, byId] = both('');
  for (const [path, operationId] of [[byId, 'deleteOrganization'], [bySlug, undefined]] as const) {
    app.delete(path, { schema: { tags, ...(operationId ? { operationId } : { hide: true }), response: { 202: messageSchema, ...responses } } }, async (req: OrgReq, reply) => {
      const { org } = await requireOrgRole(deps, req, slugOf(req), 'admin');
      await deleteOrganization(db, org.id);
      return reply.status(202).send({ message: 'Organization deleted.' });
    });
  }

  const [listSlug, listId] = both('/url-orb-allow-list');
  for (const [path, hidden] of [[listId, false], [listSlug, true]] as const) {
    app.get(path, { schema: { tags, ...(hidden ? { hide: true } : { operationId: 'listURLOrbAllowListEntries' }), response: { 200: { type: 'object', properties: { items: { type: 'array', items: entrySchema } }, required: ['items'] }, ...responses } } }, async (req: OrgReq) => {
      const { org } = await requireOrgRole(deps, req, slugOf(req));
      return { items: (await listAllowEntries(db, org.id)).map((e) => ({ id: e.id, name: e.name, prefix: e.prefix, auth: e.auth })) };
    });
    app.post<{ Params: { vcs?: string; org?: string; id?: string }; Body: { name: string; prefix: string; auth: string } }>(
      path,
      { schema: { tags, ...(hidden ? { hide: true } : { operationId: 'createURLOrbAllowListEntry' }), body: entryBody, response: { 200: idMessage, ...responses } }, validatorCompiler: strictBodyValidator },
      async (req) => {
        const { org } = await requireOrgRole(deps, req, slugOf(req), 'admin');
        const { name, prefix, auth } = req.body;
        if (name.trim() === '' || name.length > MAX_NAME * 2) throw new CircletError('NAME_LENGTH', { max: MAX_NAME * 2 });
        if (!/^https?:\/\/[^/]+\//.test(prefix) || prefix.length > MAX_PREFIX) throw new CircletError('URL_ORB_PREFIX_INVALID');
        if (auth !== 'none') throw new CircletError('URL_ORB_AUTH_UNSUPPORTED', { auth });
        if ((await listAllowEntries(db, org.id)).length >= MAX_ENTRIES) throw new CircletError('URL_ORB_ENTRY_LIMIT', { max: MAX_ENTRIES });
        const entry = await createAllowEntry(db, org.id, { name, prefix, auth });
        return { id: entry.id, message: 'Created.' };
      },
    );
  }
  const [delSlug, delId] = both('/url-orb-allow-list/:entry');
  for (const [path, hidden] of [[delId, false], [delSlug, true]] as const) {
    app.delete(path, { schema: { tags, ...(hidden ? { hide: true } : { operationId: 'removeURLOrbAllowListEntry' }), response: { 200: idMessage, ...responses } } }, async (req: FastifyRequest<{ Params: { vcs?: string; org?: string; id?: string; entry: string } }>) => {
      const { org } = await requireOrgRole(deps, req, slugOf(req), 'admin');
      const entry = req.params.entry;
      if (!UUID_RE.test(entry) || !(await deleteAllowEntry(db, org.id, entry))) throw new CircletError('URL_ORB_ENTRY_NOT_FOUND');
      return { id: entry, message: 'Deleted.' };
    });
  }
}
