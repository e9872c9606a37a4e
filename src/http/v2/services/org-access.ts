// The organization an `{org-slug-or-id}` (or `{org_id}`) names, for a member of it, and the
// role checks the Organization and Groups routes make (admin, contributor, viewer).
import type { FastifyRequest } from 'fastify';
import { UUID_RE } from '../../../domain/clock.ts';
import { decodeSlashes, vcsTypeOf } from '../../../domain/slug.ts';
import { findOrganization, getOrganization, membershipRole, type Organization, type Role } from '../../../storage/organizations.ts';
import type { HttpDeps } from '../../deps.ts';
import { CircletError } from '../../errors.ts';


/** Looks up `gh/acme`, `circleci/<uuid>` or a bare UUID. */
export async function organizationNamed(deps: HttpDeps, slugOrId: string): Promise<Organization | undefined> {
  const text = decodeSlashes(slugOrId);
  if (UUID_RE.test(text)) return getOrganization(deps.database.db, text.toLowerCase());
  const [provider, name, ...rest] = text.split('/');
  const vcs = provider && name && rest.length === 0 ? vcsTypeOf(provider) : undefined;
  if (!vcs) return undefined;
  if (vcs === 'circleci') {
    const org = UUID_RE.test(name!) ? await getOrganization(deps.database.db, name!.toLowerCase()) : undefined;
    return org?.vcs_type === 'circleci' ? org : undefined;
  }
  return findOrganization(deps.database.db, vcs, name!);
}

/** The organization and the caller's role; 404 for a non-member, 403 below `least`. */
export async function requireOrgRole(deps: HttpDeps, req: FastifyRequest, slugOrId: string, least: Role = 'viewer'): Promise<{ org: Organization; role: Role }> {
  const org = await organizationNamed(deps, slugOrId);
  const role = org ? ((await membershipRole(deps.database.db, org.id, req.user.id)) as Role | undefined) : undefined;
  if (!org || !role) throw new CircletError('NO_SUCH_ORGANIZATION');
  const rank = { viewer: 0, contributor: 1, admin: 2 } as const;
  if (rank[role] < rank[least]) throw new CircletError('PERMISSION_DENIED');
  return { org, role };
}
