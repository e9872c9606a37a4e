// Checks at the edge of every API (issue 18 items 6 and 7): text that a database cannot
// store the same way on SQLite and PostgreSQL (NUL, unpaired UTF-16 surrogates), in a path,
// a query or a JSON body, is a 400 naming where it is; so is a number in a path or query
// that a 32-bit column cannot hold. Routes that take raw bodies (uploads, forge hooks that
// verify a signature over the bytes) see only their path and query checked here.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { MAX_INT, MIN_INT } from '../domain/numbers.ts';
import { isValidText } from '../domain/paging.ts';
import { CircletError } from './errors.ts';
import { addRouteHook } from './route-hooks.ts';

/** Deep enough for any body circlet takes; deeper nesting is not walked further. */
const MAX_DEPTH = 64;

/** The path (`a.b[2]`) of the first string or key holding invalid text, or undefined. */
export function invalidTextAt(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return isValidText(value) ? undefined : path || '(value)';
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = invalidTextAt(value[i], `${path}[${i}]`, depth + 1);
      if (at) return at;
    }
    return undefined;
  }
  // Raw bodies (buffers, upload streams) are not text.
  if (ArrayBuffer.isView(value) || typeof (value as { pipe?: unknown }).pipe === 'function') return undefined;
  for (const [key, v] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key;
    if (!isValidText(key)) return path || '(key)';
    const at = invalidTextAt(v, here, depth + 1);
    if (at) return at;
  }
  return undefined;
}

const WHERE = { params: 'path parameter', query: 'query parameter', body: 'body field' } as const;

type Done = (err?: Error) => void;

/** A check as a callback-style hook: these run on every request, without a promise each. */
function hook(check: (req: FastifyRequest) => void) {
  return (req: FastifyRequest, _reply: FastifyReply, done: Done): void => {
    try {
      check(req);
    } catch (err) {
      return done(err as Error);
    }
    done();
  };
}

/** preValidation: invalid text anywhere in params, query or (unless the route takes any text) a parsed JSON body. */
export function rejectInvalidText(anyBodyText: boolean) {
  return hook((req) => invalidText(req, anyBodyText));
}

/** preHandler (after schema coercion): numbers in params and query fit a 32-bit integer column. */
export const rejectOutOfRangeNumbers = hook(outOfRangeNumbers);

/**
 * Whether a route's params or query can hold numbers: only a schema coerces a value to one
 * (without, each is a string or an array of strings). A schema that refers elsewhere
 * (`$ref`) is taken to.
 */
export function takesNumbers(schema: unknown): boolean {
  const s = schema as { params?: unknown; querystring?: unknown; query?: unknown } | undefined;
  if (!s) return false;
  return [s.params, s.querystring, s.query].some((part) => part !== undefined && /"(integer|number)"|"\$ref"/.test(JSON.stringify(part)));
}

/** Whether Fastify parses a body for any of a route's methods (it parses none for GET and HEAD). */
export function takesBody(method: RouteOptions['method']): boolean {
  return (Array.isArray(method) ? method : [method]).some((m) => m !== 'GET' && m !== 'HEAD');
}

/**
 * The edge checks on each route registered on `app` after this call: text on every route,
 * numbers on the routes whose schema can make them. A route without a body has its text
 * (path and query, known once it is routed) checked at onRequest, after the token check an
 * API adds there (registered later, it goes first): its requests skip the preValidation
 * phase altogether.
 */
export function addEdgeChecks(app: FastifyInstance): void {
  const text = rejectInvalidText(false);
  const anyText = rejectInvalidText(true);
  addRouteHook(app, 'onRequest', (route) => (takesBody(route.method) ? undefined : text));
  addRouteHook(app, 'preValidation', (route) => (takesBody(route.method) ? (route.config?.anyBodyText === true ? anyText : text) : undefined));
  addRouteHook(app, 'preHandler', (route) => (takesNumbers(route.schema) ? rejectOutOfRangeNumbers : undefined));
}

function invalidText(req: FastifyRequest, anyBodyText: boolean): void {
  const url = req.url;
  if (!isValidText(url)) throw new CircletError('INVALID_URL_TEXT');
  // Without a percent escape, path parameters and query keys and values are pieces of the
  // URL (a `+` read as a space), cut at ASCII characters: valid text when the URL is.
  if (url.includes('%')) {
    for (const part of ['params', 'query'] as const) {
      const at = invalidTextAt(req[part]);
      if (at) throw new CircletError('URL_TEXT_NOT_ALLOWED', { where: WHERE[part], at });
    }
  }
  if (req.body === undefined || anyBodyText) return;
  const at = invalidTextAt(req.body);
  if (at) throw new CircletError('URL_TEXT_NOT_ALLOWED', { where: WHERE.body, at });
}

function outOfRangeNumbers(req: FastifyRequest): void {
  for (const part of ['params', 'query'] as const) {
    const values = req[part];
    if (!values || typeof values !== 'object') continue;
    // for…in, not Object.entries: no array per request (params and query are plain objects).
    for (const key in values) {
      const v = (values as Record<string, unknown>)[key];
      if (typeof v === 'number') checkRange(part, key, v);
      else if (Array.isArray(v)) for (const n of v) if (typeof n === 'number') checkRange(part, key, n);
    }
  }
}

function checkRange(part: keyof typeof WHERE, key: string, n: number): void {
  if (!Number.isFinite(n) || (Number.isInteger(n) && (n > MAX_INT || n < MIN_INT))) {
    throw new CircletError('URL_NUMBER_OUT_OF_RANGE', { where: WHERE[part], key, value: String(n) });
  }
}
