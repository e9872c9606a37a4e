// The audit log of an organization, for its admins (circlet's own route: CircleCI has no
// public audit-log API; docs/compatibility.md). Newest first, in pages of `page-token`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import { decodePageToken } from '../../domain/paging.ts';
import { vcsTypeOf } from '../../domain/slug.ts';
import { readAuditLog } from '../../engine/services/audit.ts';
import { findOrganization, getOrganization, membershipRole, type Organization } from '../../storage/organizations.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { errorResponses, messageSchema } from '../schemas/common.ts';

export const AUDIT_PAGE_SIZE = 100;

const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    occurred_at: { type: 'string', format: 'date-time' },
    organization_id: { type: ['string', 'null'] },
    actor: { type: 'object', properties: { id: { type: ['string', 'null'] }, login: { type: ['string', 'null'] } }, required: ['id', 'login'] },
    action: { type: 'string' },
    target: {
      type: 'object',
      properties: { type: { type: 'string' }, id: { type: ['string', 'null'] }, name: { type: ['string', 'null'] } },
      required: ['type', 'id', 'name'],
    },
    outcome: { type: 'string', enum: ['success', 'failure'] },
    source: { type: 'string' },
    ip: { type: ['string', 'null'] },
    detail: { type: 'object', additionalProperties: true },
  },
  required: ['id', 'occurred_at', 'organization_id', 'actor', 'action', 'target', 'outcome', 'source', 'ip', 'detail'],
} as const;

const listSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: entrySchema }, next_page_token: { type: ['string', 'null'] } },
  required: ['items', 'next_page_token'],
} as const;

const querystring = {
  type: 'object',
  properties: { 'page-token': { type: 'string' }, since: { type: 'string' } },
} as const;


type Query = { 'page-token'?: string; since?: string };

/** `since` as ISO-8601 UTC; a 400 naming the field when it is not a date. */
function sinceOf(since: string | undefined): string | undefined {
  if (since === undefined) return undefined;
  const t = Date.parse(since);
  if (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(t)) throw new CircletError('AUDIT_SINCE_INVALID', { since: since.slice(0, 64) });
  return new Date(t).toISOString();
}

export function auditLogRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const list = async (req: FastifyRequest<{ Querystring: Query }>, org: Organization | undefined) => {
    // A non-member learns nothing (404); a member who is not an admin is told why (403).
    const role = org ? await membershipRole(deps.database.db, org.id, req.user.id) : undefined;
    if (!org || role === undefined) throw new CircletError('ORGANIZATION_NOT_FOUND');
    if (role !== 'admin') throw new CircletError('AUDIT_LOG_ADMIN_ONLY');
    const since = sinceOf(req.query.since);
    const token = req.query['page-token'];
    const after = token !== undefined ? (decodePageToken(token, 2) as [string, string]) : undefined;
    return readAuditLog(deps.database.db, { organizationId: org.id, since, limit: AUDIT_PAGE_SIZE, after });
  };
  const response = { 200: listSchema, ...errorResponses, 403: messageSchema };
  const description = 'The organization’s audit log, newest first (circlet only; organization admins).';

  app.get<{ Params: { id: string }; Querystring: Query }>(
    '/organization/:id/audit-log',
    {
      schema: {
        tags: ['Organization'],
        operationId: 'getOrganizationAuditLog',
        description,
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        querystring,
        response,
      },
    },
    async (req) => list(req, UUID_RE.test(req.params.id) ? await getOrganization(deps.database.db, req.params.id.toLowerCase()) : undefined),
  );

  app.get<{ Params: { vcs: string; org: string }; Querystring: Query }>(
    '/organization/:vcs/:org/audit-log',
    {
      schema: {
        tags: ['Organization'],
        operationId: 'getOrganizationAuditLogBySlug',
        description,
        params: { type: 'object', properties: { vcs: { type: 'string' }, org: { type: 'string' } }, required: ['vcs', 'org'] },
        querystring,
        response,
      },
    },
    async (req) => {
      const vcs = vcsTypeOf(req.params.vcs);
      return list(req, vcs && vcs !== 'circleci' ? await findOrganization(deps.database.db, vcs, req.params.org) : undefined);
    },
  );
}
