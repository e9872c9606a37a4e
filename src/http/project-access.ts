// Resolves a project named in a request and checks the caller may see it. A project the
// caller may not see answers exactly like one that does not exist.
import type { FastifyRequest } from 'fastify';
import { CircletError } from '../domain/errors.ts';
import { UUID_RE } from '../domain/clock.ts';
import { fromSegments } from '../domain/slug.ts';
import { isMember, membershipRole } from '../storage/organizations.ts';
import { cachedVisibleProjectBySlug, findVisibleProjectBySlug, getProject, type ProjectWithOrg } from '../storage/projects.ts';
import type { HttpDeps } from './deps.ts';

export interface SlugParams {
  provider: string;
  organization: string;
  project: string;
}

/**
 * The organization segment a bare project id is routed with: `/api/v2/project/<id>/…` is
 * served as `/api/v2/project/circleci/-/<id>/…` (real clients pass the project id where a
 * slug goes, and CircleCI accepts it). No organization id is `-`, so nothing else reaches it.
 */
export const ANY_ORGANIZATION = '-';

// Only under /project/: `/insights/<uuid>/summary` names an organization, not a project.
const BARE_ID = /^(\/api\/v2\/project)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=\/|$)/i;

/** A path naming a project by its bare id, rewritten to the slug form routes match. */
export function rewriteBareProjectId(path: string): string {
  // Cheaply ruled out first: a slug's second segment is not a UUID (its first dash at 24).
  if (path.length < 52 || path.charCodeAt(24) !== 45) return path;
  return path.replace(BARE_ID, (_m, base: string, id: string) => `${base}/circleci/${ANY_ORGANIZATION}/${id}`);
}

/**
 * The project, for a member of its organization. A viewer (docs/organizations.md) may only
 * read: any other method on a project route is a 403.
 */
export async function requireProject(deps: HttpDeps, req: FastifyRequest, params: SlugParams): Promise<ProjectWithOrg> {
  const project = await visibleProject(deps, req, params);
  if (req.method !== 'GET' && req.method !== 'HEAD' && (await membershipRole(deps.database.db, project.organization_id, req.user.id)) === 'viewer') {
    throw new CircletError('VIEWER_READ_ONLY');
  }
  return project;
}

/**
 * The project a GET names, when the read cache holds it for the caller (storage/read-cache.ts):
 * what requireProject would answer, without a promise. Undefined: ask requireProject.
 */
export function cachedVisibleProject(deps: HttpDeps, req: FastifyRequest, params: SlugParams): ProjectWithOrg | undefined {
  if (req.method !== 'GET' || (params.provider === 'circleci' && params.organization === ANY_ORGANIZATION)) return undefined;
  const slug = fromSegments(params.provider, params.organization, params.project);
  return slug ? cachedVisibleProjectBySlug(deps.database.db, slug, req.user.id) : undefined;
}

async function visibleProject(deps: HttpDeps, req: FastifyRequest, params: SlugParams): Promise<ProjectWithOrg> {
  if (params.provider === 'circleci' && params.organization === ANY_ORGANIZATION) return requireProjectById(deps, req, params.project);
  const slug = fromSegments(params.provider, params.organization, params.project);
  if (!slug) throw new CircletError('PROJECT_NOT_FOUND');
  const project = await findVisibleProjectBySlug(deps.database.db, slug, req.user.id);
  if (!project) throw new CircletError('PROJECT_NOT_FOUND');
  return project;
}

/** A project named by its id (`/projects/{project_id}/…`), if the caller may see it. */
export async function requireProjectById(deps: HttpDeps, req: FastifyRequest, id: string): Promise<ProjectWithOrg> {
  const project = UUID_RE.test(id) ? await getProject(deps.database.db, id) : undefined;
  if (!project || !(await isMember(deps.database.db, project.organization_id, req.user.id))) throw new CircletError('PROJECT_NOT_FOUND');
  return project;
}
