// Authentication: `Circle-Token` header, HTTP Basic with the token as username, or the
// `circle-token` query parameter; without any of them, the dashboard's session cookie.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TtlCache } from '../domain/ttl-cache.ts';
import { userForToken, type User } from '../storage/users.ts';
import type { HttpDeps } from './deps.ts';
import { addRouteHook } from './route-hooks.ts';
import { sessionUser } from './web/services/session-auth.ts';
import { CircletError } from '../domain/errors.ts';

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

/**
 * Token → user, so a busy client costs neither a database query nor a hash per request.
 * Entries live `ttlMs` at most: a token deleted or a user renamed elsewhere (another replica,
 * the CLI) is seen within that time (docs/compatibility.md); one revoked here is forgotten at
 * once (forgetCachedTokens). Only valid tokens are cached, in this
 * process's memory only (the request that presents a token holds it in memory too).
 */
export class TokenCache extends TtlCache<User> {}

const caches = new WeakMap<HttpDeps, TokenCache>();

function tokenCacheOf(deps: HttpDeps): TokenCache {
  let cache = caches.get(deps);
  if (!cache) caches.set(deps, (cache = new TokenCache()));
  return cache;
}

type Done = (err?: Error) => void;

/**
 * Forgets the cached tokens of a user whose token was just revoked here, so the revoked one
 * stops working at once on this replica (the user's other tokens are simply checked again).
 */
export function forgetCachedTokens(deps: HttpDeps, userId: string): void {
  caches.get(deps)?.deleteWhere((u) => u.id === userId);
}

/**
 * The token check of the APIs users call (v2, v1.1, private), for one route: a cached token
 * is answered synchronously (no promise per request: this runs on every call). Each API
 * gives it to its routes with requireTokens.
 */
export function tokenAuth(deps: HttpDeps): (req: FastifyRequest, reply: FastifyReply, done: Done) => void {
  const tokens = tokenCacheOf(deps);
  const slow = async (req: FastifyRequest, token: string | undefined) => {
    if (!token) {
      // The dashboard's session cookie (with its CSRF rule) stands in for a token.
      const user = await sessionUser(deps, req);
      if (!user) throw new CircletError('UNAUTHORIZED');
      req.user = user;
      return;
    }
    const user = await userForToken(deps.database.db, token);
    if (!user) throw new CircletError('INVALID_TOKEN');
    tokens.set(token, user);
    req.user = user;
  };
  return (req, _reply, done) => {
    const token = tokenOf(req);
    const cached = token === undefined ? undefined : tokens.get(token);
    if (cached) {
      req.user = cached;
      return done();
    }
    slow(req, token).then(() => done(), done);
  };
}

/**
 * The token check on every route registered on `app` after this call, but those marked
 * `config: { public: true }`, which check their own credential instead (a continuation
 * key, a presigned URL) or need none.
 */
export function requireTokens(app: FastifyInstance, deps: HttpDeps): void {
  const check = tokenAuth(deps);
  addRouteHook(app, 'onRequest', (route) => (route.config?.public === true ? undefined : check));
}
