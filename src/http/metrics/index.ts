// GET /metrics (Prometheus text format) and the hook that times every request. /metrics is
// served on the main port only with a token (`Authorization: Bearer <token>`), and on a
// listener of its own (`--metrics-listen`) with or without one (docs/operations.md).
import crypto from 'node:crypto';
import http from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CircletError } from '../errors.ts';
import { addRouteHook } from '../route-hooks.ts';
import type { CircletMetrics } from './registry.ts';

export interface MetricsOptions {
  metrics: CircletMetrics;
  /** The bearer token a scrape must present; unset: no /metrics on the main port. */
  token?: string;
}

const sha = (s: string) => crypto.createHash('sha256').update(s).digest();

/** True when the request's `Authorization: Bearer` equals `token` (compared in constant time). */
export function scrapeAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const m = /^bearer\s+(.+)$/i.exec(authorization ?? '');
  return m !== null && crypto.timingSafeEqual(sha(m[1]!.trim()), sha(token));
}

/**
 * Times every route registered after it, by its URL template (each route's hook holds its
 * own), and serves GET /metrics. Returns the timing of a request no route matched, for the
 * app's not-found handler (a 404 runs no route's hooks): recorded as `unmatched`.
 */
export async function metricsPlugin(app: FastifyInstance, opts: MetricsOptions): Promise<(req: FastifyRequest, reply: FastifyReply) => void> {
  const { metrics } = opts;
  // Callback hooks, not async ones: no promise per request.
  addRouteHook(app, 'onResponse', (route) => {
    const url = route.url;
    return (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      metrics.httpDuration.observe(req.method, url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
  });
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (opts.token === undefined) throw new CircletError('METRICS_NOT_SERVED');
    if (!scrapeAllowed(req.headers.authorization, opts.token)) throw new CircletError('METRICS_TOKEN_REQUIRED');
    const { body, contentType } = await metrics.scrape();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
  return (req, reply) => metrics.httpDuration.observe(req.method, 'unmatched', 404, reply.elapsedTime / 1000);
}

/** A listener that serves only GET /metrics, for a bind address of its own (e.g. 127.0.0.1:9464). */
export async function startMetricsListener(metrics: CircletMetrics, host: string, port: number, token?: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // Not a Fastify app: the registry's errors are answered here as the app's handler would.
    const fail = (err: CircletError) => {
      res.writeHead(err.statusCode, { 'content-type': 'application/json; charset=utf-8', ...err.headers }).end(JSON.stringify({ message: err.message }));
    };
    if (path !== '/metrics') return fail(new CircletError('ROUTE_NOT_FOUND', { method: req.method ?? 'GET', path }));
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(new CircletError('METRICS_GET_ONLY'));
    if (!scrapeAllowed(req.headers.authorization, token)) return fail(new CircletError('METRICS_TOKEN_REQUIRED'));
    metrics.scrape().then(
      ({ body, contentType }) => res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
      () => fail(new CircletError('INTERNAL')),
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
