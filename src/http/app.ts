// Builds the Fastify application: parsers, error mapping, auth, OpenAPI, and the routes.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import tls from 'node:tls';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifySchemaValidationError } from 'fastify';
import { CircletError } from '../domain/errors.ts';
import type { HttpDeps } from './deps.ts';
import { addEdgeChecks, rejectInvalidText } from './edge.ts';
import { metricsPlugin, type MetricsOptions } from './metrics/index.ts';
import { guardConnections, LISTENER_LIMITS, serverOptions, type ListenerLimits } from './listener.ts';
import { rewriteBareProjectId } from './project-access.ts';
import type { RateLimitOptions } from './rate-limit.ts';
import { lazyRequestLoggers, RequestLines } from './request-logger.ts';
import { apis } from './routes.ts';
import type { WebOptions } from './web/plugin.ts';
import { isDatabaseUnavailable } from '../storage/db.ts';
import { databaseAnswers } from '../storage/users.ts';

export interface AppOptions {
  /** A pino logger; none logs nothing. */
  logger?: FastifyBaseLogger;
  /** Listener timeouts and connection cap (listener.ts); defaults in LISTENER_LIMITS. */
  listener?: Partial<ListenerLimits>;
  /** The dashboard's built files (default dist/web). */
  web?: WebOptions;
  /** Serve on this (already listening) server instead of one the app creates on listen(). */
  server?: Server;
  /**
   * Only these APIs (by prefix, e.g. `/api/runner/v1`, `/git`), without the dashboard and the
   * OpenAPI document: a local run serves just what its agent calls, and skips compiling the
   * public API's schemas. Default: every API and the dashboard.
   */
  only?: readonly string[];
  /** Time every request and serve GET /metrics (http/metrics). */
  metrics?: MetricsOptions;
  /** Per-token and per-address request limits (http/rate-limit.ts); none by default. */
  rateLimit?: RateLimitOptions;
  /**
   * The reverse proxies whose X-Forwarded-For/-Proto/-Host are believed (addresses or CIDRs,
   * Fastify's trustProxy); none by default: the headers of anyone else are ignored.
   */
  trustProxy?: string[];
}

/** HSTS on every response to a request that came over TLS (here, or to a trusted proxy): a year, as browsers expect. */
export const HSTS = 'max-age=31536000; includeSubDomains';

const PROJECT_PATH = /^\/api\/v2\/project\//i;

/** `%2F`-encoded project slugs become plain paths, and bare project ids slugs, before routing. */
export function rewriteUrl(url: string): string {
  // Most URLs need neither rewrite: no escape to decode and no project path.
  if (!url.includes('%') && !PROJECT_PATH.test(url)) return url;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const plain = rewriteBareProjectId(/%2f/i.test(path) ? path.replace(/%2f/gi, '/') : path);
  if (plain === path) return url;
  return plain + (q === -1 ? '' : url.slice(q));
}

/** A query key as a server reads it: percent-decoded (`+` is a space), any `[...]` suffix dropped, lower-cased. */
function queryKey(raw: string): string {
  let key = raw.replace(/\+/g, ' ');
  try {
    key = decodeURIComponent(key);
  } catch {
    key = key.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return key.replace(/\[.*$/, '').trim().toLowerCase();
}

/**
 * Removes every `circle-token` query value from a URL before it is logged, however the key is
 * written (`circle%2Dtoken`, `%63ircle-token`, `circle-token[]`, `CIRCLE-TOKEN`, repeated):
 * keys are compared as parsed, not as text (issue 18 item 11).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const redacted = query
    .split(/([&;])/)
    .map((part) => {
      if (part === '&' || part === ';') return part;
      const eq = part.indexOf('=');
      const key = eq === -1 ? part : part.slice(0, eq);
      return queryKey(key) === 'circle-token' ? `${key}=[redacted]` : part;
    })
    .join('');
  return url.slice(0, q + 1) + redacted + (hash === -1 ? '' : url.slice(hash));
}

/** A 400 message naming the field a request failed validation on. */
export function validationMessage(where: string, first: FastifySchemaValidationError | undefined): string {
  if (!first) return `Invalid ${where}`;
  const path = (first.instancePath || '').replace(/^\//, '').replace(/\//g, '.').replace(/~1/g, '/').replace(/~0/g, '~');
  const at = (key: unknown) => (path ? `${path}.${String(key)}` : String(key));
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'required') return `Missing ${where} field '${at(params.missingProperty)}'`;
  if (first.keyword === 'additionalProperties') return `Unexpected ${where} field '${at(params.additionalProperty)}'`;
  const detail = first.keyword === 'enum' && Array.isArray(params.allowedValues) ? `must be one of ${params.allowedValues.join(', ')}` : (first.message ?? 'is invalid');
  if (!path && where === 'body' && first.keyword === 'type') return 'Request body must be a JSON object';
  return path ? `Invalid ${where} field '${path}': ${detail}` : `Invalid ${where}: ${detail}`;
}

/** The registry error an error stands for: its own code, or the code of a Fastify or database error. */
function asCircletError(err: unknown): CircletError | undefined {
  if (err instanceof CircletError) return err;
  const fe = err as FastifyError;
  if (fe.validation) return new CircletError('VALIDATION_FAILED', { message: validationMessage(fe.validationContext ?? 'request', fe.validation[0]) });
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new CircletError('BODY_TOO_LARGE');
  if (isDatabaseUnavailable(err)) return new CircletError('DATABASE_UNAVAILABLE');
  return undefined;
}

function sendError(reply: FastifyReply, err: CircletError) {
  return reply.status(err.statusCode).headers(err.headers).send({ message: err.message });
}

/**
 * Serve on a server created (and listening) elsewhere, with the listener's timeouts applied to
 * it. The server listens before the app is built (so the engine knows its URL), and behind a
 * load balancer requests arrive at once, e.g. at a replica restarted after a crash: a request
 * that comes before the app is ready waits for it (Fastify's router, half built, throws and
 * takes the process down).
 */
function serveOn(server: Server, limits: ListenerLimits, ready: Promise<void>) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    server.headersTimeout = limits.headersTimeoutMs;
    server.requestTimeout = limits.requestTimeoutMs;
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    let isReady = false;
    void ready.then(() => (isReady = true));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (isReady) return handler(req, res);
      void ready.then(() => handler(req, res));
    });
    return server;
  };
}

export async function buildApp(deps: HttpDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  const limits: ListenerLimits = { ...LISTENER_LIMITS, ...options.listener };
  let opened!: () => void;
  const ready = new Promise<void>((resolve) => (opened = resolve));
  const app = Fastify({
    // Each request's child logger is made when the request first logs (request-logger.ts).
    ...(options.logger ? { loggerInstance: lazyRequestLoggers(options.logger) } : { logger: false }),
    http: serverOptions(limits),
    // Fastify applies these to the server itself (and would otherwise apply its own defaults).
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // No connectionTimeout (a timer per socket, re-armed at every read and write): the idle
    // timeout is guardConnections' sweep.
    bodyLimit: 1024 * 1024,
    // Agents long-poll, heartbeat and stream output all the time: their requests are not
    // logged (errors still are), so an idle server's log stays quiet.
    logController: new RequestLines({ disableRequestLogging: (req: { url?: string }) => (req.url ?? '').startsWith('/api/runner/') }),
    rewriteUrl: (req) => rewriteUrl(req.url ?? '/'),
    // An app that serves only some APIs (a local run) does not check its route schemas against
    // JSON Schema's meta-schema at every start (compiling that costs more than the routes):
    // they are the same schemas the full app checks.
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false, ...(options.only ? { validateSchema: false } : {}) } },
    routerOptions: { ignoreTrailingSlash: true },
    ...(options.server ? { serverFactory: serveOn(options.server, limits, ready) } : {}),
    ...(options.trustProxy && options.trustProxy.length > 0 ? { trustProxy: options.trustProxy } : {}),
  });

  // A request is HTTPS only on a TLS server or through a trusted proxy: elsewhere no response
  // needs the header, and no hook runs per request for it.
  if (options.server instanceof tls.Server || (options.trustProxy && options.trustProxy.length > 0)) {
    app.addHook('onSend', (req, reply, payload, done) => {
      if (req.protocol === 'https') reply.header('strict-transport-security', HSTS);
      done(null, payload);
    });
  }

  guardConnections(app.server, limits);
  app.addHook('onReady', async () => opened());

  // JSON bodies: an empty body is no body; any content type holding JSON is accepted, as
  // scripts often post JSON without the header.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new CircletError('INVALID_JSON_BODY'), undefined);
    }
  });

  // The one place an error becomes a response: a registry code answers with its status,
  // headers and message; Fastify's own errors and the database being away are mapped to codes.
  app.setErrorHandler((err: FastifyError | CircletError, req, reply) => {
    const known = asCircletError(err);
    if (known) {
      if (known.code === 'DATABASE_UNAVAILABLE') req.log.warn({ err: String(err) }, 'database unreachable');
      return sendError(reply, known);
    }
    const fe = err as FastifyError;
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return reply.status(fe.statusCode).send({ message: fe.message });
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, new CircletError('INTERNAL'));
  });


  const serves = (prefix: string) => !options.only || options.only.includes(prefix);
  // The OpenAPI document and the dashboard are loaded only by an app that serves them.
  if (serves('/api/v2')) await app.register((await import('@fastify/swagger')).default, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'circlet API (CircleCI API v2 compatible)', version: 'v2' },
      // Paths are relative to the v2 base, as in CircleCI's own document (the `circleci` CLI
      // looks operations such as `/context` up in it).
      servers: [{ url: '/api/v2' }],
      components: {
        securitySchemes: {
          api_key_header: { type: 'apiKey', in: 'header', name: 'Circle-Token' },
          basic_auth: { type: 'http', scheme: 'basic' },
          api_key_query: { type: 'apiKey', in: 'query', name: 'circle-token' },
        },
      },
      security: [{ api_key_header: [] }, { basic_auth: [] }, { api_key_query: [] }],
    },
    // Only the v2 API is published: v1.1, the runner protocol and utility routes stay out.
    transform: ({ schema, url }) => ({ schema: url.startsWith('/api/v2/') ? schema : { ...schema, hide: true }, url }),
  });

  // Before any route: the plugin limits the routes registered after it.
  if (options.rateLimit) {
    const { registerRateLimit } = await import('./rate-limit.ts');
    await registerRateLimit(app, deps.database.db, { ...options.rateLimit, shared: options.rateLimit.shared ?? deps.database.dialect === 'postgres' });
  }

  // The authenticated user; set by the token hook of each API that takes user tokens (auth.ts).
  app.decorateRequest('user', null as never);

  // The API routes this app serves, for the conformance suite and the OpenAPI document.
  const apiRoutes: string[] = [];
  app.decorate('circletRoutes', apiRoutes);
  // Every route, hidden or not (`METHOD /url`), for the HTTP fuzz suite.
  const allRoutes: string[] = [];
  app.decorate('circletAllRoutes', allRoutes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) if (m !== 'HEAD') allRoutes.push(`${m} ${route.url}`);
    if (!route.url.startsWith('/api/') || (route.schema as { hide?: boolean } | undefined)?.hide) return;
    for (const m of methods) if (m !== 'HEAD') apiRoutes.push(`${m} ${route.url}`);
  });

  // Given to each route registered below, as it is registered (route-hooks.ts): a timing of
  // every route, and bad text and out-of-range numbers a 400 at the edge, the same on both
  // databases. A request no route matches runs no route's hooks: the not-found handler
  // checks its text and times it itself.
  const timeUnmatched = options.metrics ? await metricsPlugin(app, options.metrics) : undefined;
  addEdgeChecks(app);
  app.setNotFoundHandler({ preValidation: rejectInvalidText(false) }, (req, reply) => {
    timeUnmatched?.(req, reply);
    throw new CircletError('ROUTE_NOT_FOUND', { method: req.method, path: redactUrl(req.url).split('?')[0]! });
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async () => {
    if (await databaseAnswers(deps.database.db)) return { status: 'ok' };
    throw new CircletError('DATABASE_NOT_READY');
  });

  for (const api of apis) {
    if (!serves(api.prefix)) continue;
    const plugin = await api.load();
    await app.register(async (scope) => plugin(scope, deps), { prefix: api.prefix });
  }

  if (!options.only) {
    const { webPlugin } = await import('./web/plugin.ts');
    await app.register(async (scope) => webPlugin(scope, deps, options.web));
  }
  return app;
}
