// The checks the Context routes make: context and variable names, the organization an owner
// reference names, the context a path names (for members only) and the admin role.
import type { FastifyRequest } from 'fastify';
import { CircletError } from '../../../domain/errors.ts';
import { UUID_RE } from '../../../domain/clock.ts';
import { decodeSlashes, vcsTypeOf } from '../../../domain/slug.ts';
import { getContext, membershipRole, type Context } from '../../../storage/contexts.ts';
import { findOrganization, getOrganization, isMember, type Organization } from '../../../storage/organizations.ts';
import type { HttpDeps } from '../../deps.ts';

const MAX_CONTEXT_NAME = 200;
const MAX_ENV_VAR_NAME = 300;
const ENV_VAR_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

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

export interface OwnerRef {
  id?: string;
  slug?: string;
  type?: string;
}

/**
 * The organization an owner reference names, when the caller is a member of it. Owners are
 * given by id or by slug (`gh/acme`, `bb/acme`, `circleci/<org-id>`); circlet has no separate
 * accounts, so an `account` owner id is an organization id.
 */
export async function resolveOwner(deps: HttpDeps, req: FastifyRequest, owner: OwnerRef, where: { id: string; slug: string; type: string }): Promise<Organization> {
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
export async function requireContext(deps: HttpDeps, req: FastifyRequest, contextId: string, malformed: 400 | 404 = 404): Promise<Context> {
  if (!UUID_RE.test(contextId)) throw malformed === 400 ? new CircletError('CONTEXT_ID_INVALID') : new CircletError('CONTEXT_NOT_FOUND');
  const context = await getContext(deps.database.db, contextId);
  if (!context || !(await isMember(deps.database.db, context.organization_id, req.user.id))) throw new CircletError('CONTEXT_NOT_FOUND');
  return context;
}

export async function requireAdmin(deps: HttpDeps, req: FastifyRequest, context: Context): Promise<void> {
  const role = await membershipRole(deps.database.db, context.organization_id, req.user.id);
  if (role !== 'admin') throw new CircletError('CONTEXT_RESTRICTION_ADMIN_ONLY');
}
