// The dashboard: its built files at `/`, the single-page app for every page path (the URLs
// the API hands out as `web_url`), and the sign-in / sign-out routes that turn a personal API
// token into a session cookie. The pages talk to circlet only through the public API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { userForToken } from '../../storage/users.ts';
import { createWebSession, deleteWebSession, userForWebSession } from '../../storage/web-sessions.ts';
import { actorOf } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { defaultWebDir, loadAssets, type Asset } from './services/assets.ts';
import { CSRF_HEADER, SESSION_COOKIE, SESSION_TTL_MS, cookieValue, csrfOk, csrfTokenOf, sameOrigin, sessionCookie } from './services/session.ts';

/** Page paths the single-page app answers (each one's first segment). */
export const PAGE_ROOTS = ['pipelines', 'projects', 'settings', 'organization', 'insights', 'sign-in', 'account'];

export interface WebOptions {
  /** The built dashboard; defaults to dist/web. */
  dir?: string;
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset) {
  const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  reply
    .header('content-type', asset.type)
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff');
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.send(gzip ? asset.gzip : asset.body);
}


export async function webPlugin(app: FastifyInstance, deps: HttpDeps, opts: WebOptions = {}): Promise<void> {
  const assets = loadAssets(opts.dir ?? defaultWebDir());
  // Secure cookies when this request came over TLS, or the server's public URL is https (TLS
  // ended by a proxy in front of it).
  const isTls = (req: FastifyRequest) => req.protocol === 'https' || (deps.baseUrl ?? deps.engine.baseUrl ?? '').startsWith('https:');
  const index = assets.get('/index.html');

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!index) throw new CircletError('DASHBOARD_NOT_BUILT');
    return send(req, reply, index).header('x-frame-options', 'DENY').header('referrer-policy', 'same-origin');
  };
  app.get('/', { schema: { hide: true } }, page);
  for (const root of PAGE_ROOTS) {
    app.get(`/${root}`, { schema: { hide: true } }, page);
    app.get(`/${root}/*`, { schema: { hide: true } }, page);
  }
  app.get<{ Params: { '*': string } }>('/assets/*', { schema: { hide: true } }, async (req, reply) => {
    const asset = assets.get(`/assets/${req.params['*']}`);
    if (!asset) throw new CircletError('ROUTE_NOT_FOUND', { method: 'GET', path: `/assets/${req.params['*']}` });
    return send(req, reply, asset);
  });
  for (const [p, asset] of assets) {
    if (p !== '/index.html' && !p.startsWith('/assets/')) app.get(p, { schema: { hide: true } }, (req, reply) => send(req, reply, asset));
  }

  // Who is signed in, and the CSRF token the page sends with every state-changing request.
  app.get('/auth/session', { schema: { hide: true } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const secret = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const user = secret ? await userForWebSession(deps.database.db, secret) : undefined;
    if (!secret || !user) throw new CircletError('UNAUTHORIZED');
    return { user: { id: user.id, login: user.login, name: user.name }, csrf_token: csrfTokenOf(secret) };
  });

  app.post<{ Body: { token?: unknown } | undefined }>('/auth/sign-in', { schema: { hide: true } }, async (req, reply) => {
    if (!sameOrigin(req.headers as Record<string, string>)) throw new CircletError('SIGN_IN_CROSS_ORIGIN');
    const token = req.body && typeof req.body === 'object' ? req.body.token : undefined;
    if (typeof token !== 'string' || token.trim() === '') throw new CircletError('SIGN_IN_TOKEN_MISSING');
    const user = await userForToken(deps.database.db, token.trim());
    const target = { type: 'dashboard_session' };
    if (!user) {
      await deps.engine.audit(actorOf(req, 'dashboard'), { action: 'dashboard.sign_in', target, outcome: 'failure', detail: { reason: 'invalid token' } });
      throw new CircletError('INVALID_TOKEN');
    }
    const secret = await createWebSession(deps.database.db, user.id, SESSION_TTL_MS);
    await deps.engine.audit({ id: user.id, login: user.login, source: 'dashboard', ip: req.ip }, { action: 'dashboard.sign_in', target });
    reply.header('set-cookie', sessionCookie(secret, { secure: isTls(req) })).header('cache-control', 'no-store');
    return { user: { id: user.id, login: user.login, name: user.name }, csrf_token: csrfTokenOf(secret) };
  });

  app.post('/auth/sign-out', { schema: { hide: true } }, async (req, reply) => {
    const secret = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (secret) {
      if (!csrfOk(req.method, secret, req.headers[CSRF_HEADER])) throw new CircletError('CSRF_MISMATCH', { header: CSRF_HEADER });
      const user = await userForWebSession(deps.database.db, secret);
      await deleteWebSession(deps.database.db, secret);
      if (user) await deps.engine.audit({ id: user.id, login: user.login, source: 'dashboard', ip: req.ip }, { action: 'dashboard.sign_out', target: { type: 'dashboard_session' } });
    }
    reply.header('set-cookie', sessionCookie(null, { secure: isTls(req) }));
    return reply.status(204).send();
  });
}
