// OIDC Token Management tag: the organization's and its projects' custom claims for the
// OIDC tokens jobs get (`audience`, `ttl`; docs/oidc.md). As in CircleCI's spec these
// operations answer errors as `{"error": …}`. Members read; organization admins change.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import { DURATION_PATTERN, parseDuration } from '../../domain/duration.ts';
import { MAX_TTL_MS } from '../../engine/oidc/keys.ts';
import { deleteCustomClaims, getCustomClaims, patchCustomClaims, type CustomClaims } from '../../storage/oidc.ts';
import { getOrganization, membershipRole } from '../../storage/organizations.ts';
import { getProject } from '../../storage/projects.ts';
import type { HttpDeps } from '../deps.ts';

const MIN_TTL_MS = 60_000;
const MAX_AUDIENCES = 100;
const MAX_AUDIENCE_LENGTH = 1_000;

class ClaimsError extends Error {
  constructor(
    readonly status: 400 | 403,
    message: string,
  ) {
    super(message);
  }
}

const errorSchema = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const;
const claimsSchema = {
  type: 'object',
  properties: {
    org_id: { type: 'string', format: 'uuid' },
    project_id: { type: 'string', format: 'uuid' },
    audience: { type: 'array', items: { type: 'string' } },
    audience_updated_at: { type: 'string', format: 'date-time' },
    ttl: { type: 'string' },
    ttl_updated_at: { type: 'string', format: 'date-time' },
  },
  required: ['org_id'],
} as const;
const responses = { 200: claimsSchema, 400: errorSchema, 403: errorSchema, 500: errorSchema } as const;
const orgParams = { type: 'object', properties: { orgID: { type: 'string' } }, required: ['orgID'] } as const;
const projectParams = { type: 'object', properties: { orgID: { type: 'string' }, projectID: { type: 'string' } }, required: ['orgID', 'projectID'] } as const;
const patchBody = { type: 'object', properties: { audience: { type: 'array', items: { type: 'string' } }, ttl: { type: 'string', pattern: DURATION_PATTERN } } } as const;
const deleteQuery = { type: 'object', properties: { claims: { type: 'string' } } } as const;

interface Params {
  orgID: string;
  projectID?: string;
}

/** The organization and (optional) project the path names, for a member (admin when `write`). */
async function scope(deps: HttpDeps, req: FastifyRequest<{ Params: Params }>, write: boolean): Promise<{ orgId: string; projectId: string }> {
  const { orgID, projectID } = req.params;
  if (!UUID_RE.test(orgID)) throw new ClaimsError(400, 'OrgID: must be a valid UUID.');
  if (projectID !== undefined && !UUID_RE.test(projectID)) throw new ClaimsError(400, 'ProjectID: must be a valid UUID.');
  const db = deps.database.db;
  const role = (await getOrganization(db, orgID)) ? await membershipRole(db, orgID, req.user.id) : undefined;
  if (!role || (write && role !== 'admin')) throw new ClaimsError(403, 'Forbidden');
  if (projectID !== undefined && (await getProject(db, projectID))?.organization_id !== orgID) throw new ClaimsError(403, 'Forbidden');
  return { orgId: orgID, projectId: projectID ?? '' };
}

function present(orgId: string, projectId: string, c: CustomClaims) {
  return { org_id: orgId, ...(projectId ? { project_id: projectId } : {}), ...c };
}

function validatedPatch(req: FastifyRequest): { audience?: string[]; ttl?: string } {
  if (req.validationError) {
    const v = (req.validationError as { validation?: { instancePath?: string }[] }).validation?.[0];
    const field = v?.instancePath?.split('/')[1];
    throw new ClaimsError(400, field === 'ttl' ? 'ttl: must be a duration such as 1h or 30m (units ms, s, m, h, d, w)' : field === 'audience' ? 'audience: must be an array of strings' : 'the body must be a JSON object with audience and/or ttl');
  }
  const body = (req.body ?? {}) as { audience?: string[]; ttl?: string };
  const unknown = Object.keys(body).filter((k) => k !== 'audience' && k !== 'ttl');
  if (unknown.length > 0) throw new ClaimsError(400, `unknown field ${unknown[0]}: only audience and ttl can be set`);
  if (body.audience !== undefined) {
    if (body.audience.length > MAX_AUDIENCES) throw new ClaimsError(400, `audience: at most ${MAX_AUDIENCES} entries`);
    if (body.audience.some((a) => a.trim() === '' || a.length > MAX_AUDIENCE_LENGTH)) throw new ClaimsError(400, `audience: every entry must be a non-empty string of at most ${MAX_AUDIENCE_LENGTH} characters`);
  }
  if (body.ttl !== undefined) {
    const ms = parseDuration(body.ttl);
    if (ms === undefined || ms < MIN_TTL_MS || ms > MAX_TTL_MS) throw new ClaimsError(400, 'ttl: must be between 1m and 24h');
  }
  return body;
}

function deletedNames(query: { claims?: string }): ('audience' | 'ttl')[] {
  const names = (query.claims ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new ClaimsError(400, 'claims: required, a comma separated list of audience and ttl');
  const bad = names.find((n) => n !== 'audience' && n !== 'ttl');
  if (bad !== undefined) throw new ClaimsError(400, `claims: ${bad} is not a claim (use audience and ttl)`);
  return names as ('audience' | 'ttl')[];
}

/** Runs a handler, answering its refusals as `{"error": …}`. */
function handle<R extends FastifyRequest<{ Params: Params }>>(fn: (req: R) => Promise<unknown>) {
  return async (req: R, reply: FastifyReply) => {
    try {
      return await fn(req);
    } catch (err) {
      if (err instanceof ClaimsError) return reply.status(err.status).send({ error: err.message });
      throw err;
    }
  };
}

export function oidcRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const db = deps.database.db;
  for (const [path, params, level] of [
    ['/org/:orgID/oidc-custom-claims', orgParams, 'Org'],
    ['/org/:orgID/project/:projectID/oidc-custom-claims', projectParams, 'Project'],
  ] as const) {
    const tags = ['OIDC Token Management'];
    app.get<{ Params: Params }>(
      path,
      { schema: { tags, operationId: `Get${level}Claims`, params, response: responses } },
      handle(async (req) => {
        const s = await scope(deps, req, false);
        return present(s.orgId, s.projectId, await getCustomClaims(db, s.orgId, s.projectId));
      }),
    );
    app.patch<{ Params: Params }>(
      path,
      { schema: { tags, operationId: `Patch${level}Claims`, params, body: patchBody, response: responses }, attachValidation: true },
      handle(async (req) => {
        const s = await scope(deps, req, true);
        return present(s.orgId, s.projectId, await patchCustomClaims(db, s.orgId, s.projectId, validatedPatch(req)));
      }),
    );
    app.delete<{ Params: Params; Querystring: { claims?: string } }>(
      path,
      { schema: { tags, operationId: `Delete${level}Claims`, params, querystring: deleteQuery, response: responses } },
      handle(async (req: FastifyRequest<{ Params: Params; Querystring: { claims?: string } }>) => {
        const s = await scope(deps, req, true);
        return present(s.orgId, s.projectId, await deleteCustomClaims(db, s.orgId, s.projectId, deletedNames(req.query)));
      }),
    );
  }
}
