// API authentication by the dashboard's session cookie (used when a request carries no token).
import type { FastifyRequest } from 'fastify';
import type { User } from '../../../storage/users.ts';
import { userForWebSession } from '../../../storage/web-sessions.ts';
import type { HttpDeps } from '../../deps.ts';
import { ApiError, unauthorized } from '../../errors.ts';
import { CSRF_HEADER, SESSION_COOKIE, cookieValue, csrfOk } from './session.ts';

/** The session's user, undefined without a session cookie; throws for a dead session or a CSRF failure. */
export async function sessionUser(deps: HttpDeps, req: FastifyRequest): Promise<User | undefined> {
  const secret = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (!secret) return undefined;
  const user = await userForWebSession(deps.database.db, secret);
  if (!user) throw unauthorized('Your session has ended: sign in again.');
  if (!csrfOk(req.method, secret, req.headers[CSRF_HEADER])) throw new ApiError(403, `Missing or wrong ${CSRF_HEADER} header for a request made with the session cookie`);
  return user;
}
