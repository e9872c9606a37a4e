// Who may read and manage self-hosted resource classes over the runner API v3: members of
// the owning organization read, its admins manage. A class the caller may not see answers
// exactly like one that does not exist. The task counts also take the class's own runner
// token (CircleCI's "resource class token" authentication).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { membershipRole, organizationsOfUser } from '../../../storage/organizations.ts';
import { findResourceClass, RESOURCE_CLASS_RE, type ResourceClass } from '../../../storage/resource-classes.ts';
import { findRunnerToken, type RunnerToken } from '../../../storage/runner-tokens.ts';
import { tokenAuth } from '../../auth.ts';
import type { HttpDeps } from '../../deps.ts';
import { CircletError } from '../../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A runner API v3 route that also takes a runner token (`Authorization: Bearer`) for its class. */
    runnerToken?: boolean;
  }
}


type Req = FastifyRequest & { runnerToken?: RunnerToken };

/** onRequest: a runner token where the route takes one, else a user's token or session. */
export function adminAuth(deps: HttpDeps): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const users = tokenAuth(deps);
  return async (req, reply) => {
    const auth = req.headers.authorization;
    if (req.routeOptions.config?.runnerToken === true && typeof auth === 'string' && /^bearer\s/i.test(auth)) {
      const runner = await findRunnerToken(deps.database.db, auth.slice(7).trim());
      if (runner) {
        (req as Req).runnerToken = runner;
        return;
      }
    }
    await new Promise<void>((resolve, reject) => users(req, reply, (err) => (err ? reject(err) : resolve())));
  };
}

/** A `resource-class` query value: namespace/name. */
export function className(value: unknown, param = 'resource-class'): string {
  if (typeof value !== 'string' || value === '') throw new CircletError('QUERY_PARAM_REQUIRED', { param });
  if (!RESOURCE_CLASS_RE.test(value)) throw new CircletError('RESOURCE_CLASS_PARAM_INVALID', { param, value });
  return value;
}

/** The class, when the caller may read it: a member of its organization, or its own runner token. */
export async function readableClass(deps: HttpDeps, req: FastifyRequest, name: string): Promise<ResourceClass> {
  const rc = await findResourceClass(deps.database.db, name);
  const runner = (req as Req).runnerToken;
  if (runner) {
    if (!rc || runner.resource_class !== rc.name) throw new CircletError('RESOURCE_CLASS_NOT_FOUND');
    return rc;
  }
  if (!rc || !(await membershipRole(deps.database.db, rc.organization_id, req.user.id))) throw new CircletError('RESOURCE_CLASS_NOT_FOUND');
  return rc;
}

/** The class, when the caller administers its organization (403 for a member, 404 for anyone else). */
export async function managedClass(deps: HttpDeps, req: FastifyRequest, rc: ResourceClass | undefined): Promise<ResourceClass> {
  const role = rc ? await membershipRole(deps.database.db, rc.organization_id, req.user.id) : undefined;
  if (!rc || !role) throw new CircletError('RESOURCE_CLASS_NOT_FOUND');
  if (role !== 'admin') throw new CircletError('RESOURCE_CLASS_ADMIN_ONLY');
  return rc;
}

/** The ids of the caller's organizations. */
export async function organizationIdsOf(deps: HttpDeps, req: FastifyRequest): Promise<string[]> {
  return (await organizationsOfUser(deps.database.db, req.user.id)).map((o) => o.id);
}

/**
 * The organization a new class in `namespace` goes to: `org_id` when given, else the caller's
 * organization named like the namespace. The caller must administer it, and a namespace that
 * holds another organization's classes is theirs.
 */
export async function organizationForNamespace(deps: HttpDeps, req: FastifyRequest, namespace: string, orgId: string | undefined): Promise<string> {
  const orgs = await organizationsOfUser(deps.database.db, req.user.id);
  const org = orgId !== undefined ? orgs.find((o) => o.id === orgId) : orgs.find((o) => o.name.toLowerCase() === namespace.toLowerCase());
  if (!org) {
    throw orgId !== undefined
      ? new CircletError('NO_SUCH_ORGANIZATION')
      : new CircletError('NAMESPACE_ORGANIZATION_UNKNOWN', { namespace });
  }
  if ((await membershipRole(deps.database.db, org.id, req.user.id)) !== 'admin') throw new CircletError('RESOURCE_CLASS_CREATE_ADMIN_ONLY');
  return org.id;
}
