// Resolves a project named in a request and checks the caller may see it. A project the
// caller may not see answers exactly like one that does not exist.
import type { FastifyRequest } from 'fastify';
import { fromSegments } from '../domain/slug.ts';
import { findVisibleProjectBySlug, type ProjectWithOrg } from '../storage/projects.ts';
import type { HttpDeps } from './deps.ts';
import { notFound, PROJECT_NOT_FOUND } from './errors.ts';

export interface SlugParams {
  provider: string;
  organization: string;
  project: string;
}

export async function requireProject(deps: HttpDeps, req: FastifyRequest, params: SlugParams): Promise<ProjectWithOrg> {
  const slug = fromSegments(params.provider, params.organization, params.project);
  if (!slug) throw notFound(PROJECT_NOT_FOUND);
  const project = await findVisibleProjectBySlug(deps.database.db, slug, req.user.id);
  if (!project) throw notFound(PROJECT_NOT_FOUND);
  return project;
}
