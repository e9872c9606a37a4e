// API authentication by the dashboard's session cookie (used when a request carries no token).
import type { FastifyRequest } from 'fastify';
import { CircletError } from '../../../domain/errors.ts';
import type { User } from '../../../storage/users.ts';
import { userForWebSession } from '../../../storage/web-sessions.ts';
import type { HttpDeps } from '../../deps.ts';
import { CSRF_HEADER, SESSION_COOKIE, cookieValue, csrfOk } from './session.ts';

/** The session's user, undefined without a session cookie; throws for a dead session or a CSRF failure. */
export async function sessionUser(deps: HttpDeps, req: FastifyRequest): Promise<User | undefined> {
  const secret = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (!secret) return undefined;
  const user = await userForWebSession(deps.database.db, secret);
  if (!user) throw new CircletError('SESSION_ENDED');
  if (!csrfOk(req.method, secret, req.headers[CSRF_HEADER])) throw new CircletError('CSRF_MISMATCH_SESSION', { header: CSRF_HEADER });
  return user;
}
