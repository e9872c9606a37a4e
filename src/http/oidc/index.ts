// OIDC discovery for the tokens jobs get (docs/oidc.md): each organization is an issuer,
// `<server URL>/org/<org id>`, publishing its openid-configuration and the JWKS that
// verifies its tokens. Public: a relying party (a cloud provider, a secrets store) reads them.
import type { FastifyInstance } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import { getOrganization } from '../../storage/organizations.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';

const params = { type: 'object', properties: { orgId: { type: 'string' } }, required: ['orgId'] } as const;

export async function oidcDiscoveryApi(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  async function requireOrg(orgId: string): Promise<void> {
    if (!UUID_RE.test(orgId) || !(await getOrganization(deps.database.db, orgId))) throw new CircletError('NO_SUCH_ORGANIZATION');
  }
  const opts = { schema: { hide: true, params } };
  app.get<{ Params: { orgId: string } }>('/:orgId/.well-known/openid-configuration', opts, async (req, reply) => {
    await requireOrg(req.params.orgId);
    reply.header('cache-control', 'public, max-age=300');
    return deps.engine.oidc.discovery(req.params.orgId);
  });
  app.get<{ Params: { orgId: string } }>('/:orgId/.well-known/jwks-pub.json', opts, async (req, reply) => {
    await requireOrg(req.params.orgId);
    reply.header('cache-control', 'public, max-age=300');
    return deps.engine.oidc.jwks();
  });
}
