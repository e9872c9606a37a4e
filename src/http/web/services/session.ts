// The dashboard session's cookie and CSRF rules, as pure functions.
//
// The cookie carries a random secret (HttpOnly, SameSite=Strict, Secure over TLS); the
// server stores only its hash. A request authenticated by the cookie that can change state
// (anything but GET/HEAD/OPTIONS) must also send `X-CSRF-Token`, a value derived from the
// secret that the page reads from `GET /auth/session`. Another site can make the browser
// send the cookie but can neither read that response nor set a custom header cross-origin
// without a CORS preflight, which circlet never grants.
import crypto from 'node:crypto';

export const SESSION_COOKIE = 'circlet_session';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_TTL_MS = 14 * 24 * 3600 * 1000;

/** The value of one cookie in a `Cookie` header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return v === '' ? undefined : v;
    }
  }
  return undefined;
}

/** The `Set-Cookie` value for a session secret (or, with `secret` null, one that clears it). */
export function sessionCookie(secret: string | null, opts: { secure: boolean; maxAgeMs?: number }): string {
  const parts = [`${SESSION_COOKIE}=${secret ?? ''}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  parts.push(secret === null ? 'Max-Age=0' : `Max-Age=${Math.floor((opts.maxAgeMs ?? SESSION_TTL_MS) / 1000)}`);
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The CSRF token of a session: derived from its secret, so nothing more is stored. */
export function csrfTokenOf(secret: string): string {
  return crypto.createHash('sha256').update(`circlet-csrf\0${secret}`, 'utf8').digest('hex');
}

export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** Whether a request made with the session cookie may go ahead (constant-time comparison). */
export function csrfOk(method: string, secret: string, header: string | string[] | undefined): boolean {
  if (isSafeMethod(method)) return true;
  if (typeof header !== 'string') return false;
  const want = Buffer.from(csrfTokenOf(secret));
  const got = Buffer.from(header);
  return want.length === got.length && crypto.timingSafeEqual(want, got);
}

/**
 * Whether the browser says the request comes from this server's own pages: an `Origin` (or,
 * without it, `Sec-Fetch-Site`) naming another site is refused. Used for sign-in, which has
 * no session yet to derive a CSRF token from.
 */
export function sameOrigin(headers: { origin?: string; host?: string; 'sec-fetch-site'?: string }): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  if (headers.origin === undefined) return true;
  try {
    return new URL(headers.origin).host === headers.host;
  } catch {
    return false;
  }
}
