// Authentication: `Circle-Token` header, HTTP Basic with the token as username, or the
// `circle-token` query parameter.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { userForToken } from '../storage/users.ts';
import type { HttpDeps } from './deps.ts';
import { unauthorized } from './errors.ts';

export function tokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers['circle-token'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const [scheme, value] = auth.split(' ', 2);
    if (scheme?.toLowerCase() === 'basic' && value) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
      if (user) return user;
    }
    if (scheme?.toLowerCase() === 'bearer' && value) return value;
  }
  const query = (req.query as Record<string, unknown> | undefined)?.['circle-token'];
  if (typeof query === 'string' && query !== '') return query;
  return undefined;
}

/** Paths under /api that need no token. */
const PUBLIC = new Set(['/api/v2/openapi.json']);

export function registerAuth(app: FastifyInstance, deps: HttpDeps): void {
  app.decorateRequest('user', null as never);
  app.addHook('onRequest', async (req) => {
    const path = req.routeOptions.url;
    if (path === undefined || !path.startsWith('/api/') || PUBLIC.has(path)) return;
    const token = tokenOf(req);
    if (!token) throw unauthorized();
    const user = await userForToken(deps.database, token);
    if (!user) throw unauthorized('Invalid token provided.');
    req.user = user;
  });
}
