// Rate limits (docs/operations.md), through @fastify/rate-limit: a request with a token
// counts against that token (its hash), one without against its address. Over the limit:
// 429 `{"message":"Rate limit exceeded."}` with Retry-After; every limited response has
// X-RateLimit-Limit, -Remaining and -Reset. Off by default. The routes of a claimed task
// (/api/runner/v1/tasks/…, /git/…) and the health probes are never limited. Counts live in
// the database when `shared` (several replicas on one PostgreSQL), else in memory.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hashToken } from '../domain/tokens.ts';
import type { Db } from '../storage/executor.ts';
import { countRequest, pruneRequestWindows } from '../storage/rate-limits.ts';
import { tokenOf } from './auth.ts';
import { CircletError } from './errors.ts';

export interface RateLimitOptions {
  /** Requests per window for one token; 0 = no limit for requests with a token. */
  perToken: number;
  /** Requests per window for one client address without a token; 0 = none. */
  perIp: number;
  /** Window length, ms (default 60 s). */
  windowMs?: number;
  /** Count in the database, shared by all replicas (default: on PostgreSQL). */
  shared?: boolean;
}

const EXEMPT = /^\/(?:api\/runner\/v1\/tasks\/|git\/|healthz$|readyz$)/;

/** True for the requests no limit applies to: a claimed task's runner routes, checkouts, probes. */
export function exemptFromRateLimit(url: string): boolean {
  return EXEMPT.test(url.split('?')[0]!);
}

/** The limit's key: `token:<sha256>` or `ip:<address>`. */
export function rateLimitKey(req: FastifyRequest): string {
  const token = tokenOf(req);
  return token ? `token:${hashToken(token)}` : `ip:${req.ip}`;
}

type IncrCallback = (err: Error | null, result?: { current: number; ttl: number }) => void;

/** A store for @fastify/rate-limit over the rate_limits table. */
function databaseStore(db: Db) {
  let lastPrune = 0;
  return class DatabaseRateLimitStore {
    incr(key: string, callback: IncrCallback, timeWindow: number): void {
      const now = Date.now();
      if (now - lastPrune > timeWindow) {
        lastPrune = now;
        void pruneRequestWindows(db, now).catch(() => undefined);
      }
      countRequest(db, key, timeWindow, now).then(
        (w) => callback(null, { current: w.count, ttl: Math.max(0, w.resetAt - now) }),
        (err: Error) => callback(err),
      );
    }

    child(): DatabaseRateLimitStore {
      return this;
    }
  };
}

export async function registerRateLimit(app: FastifyInstance, db: Db, opts: RateLimitOptions): Promise<void> {
  const shared = opts.shared ?? false;
  const limits = {
    timeWindow: opts.windowMs ?? 60_000,
    keyGenerator: rateLimitKey,
    max: (_req: FastifyRequest, key: string) => (key.startsWith('token:') ? opts.perToken : opts.perIp) || Number.MAX_SAFE_INTEGER,
    allowList: (req: FastifyRequest) => exemptFromRateLimit(req.url) || (rateLimitKey(req).startsWith('token:') ? opts.perToken : opts.perIp) === 0,
    // The database unreachable: serve the request (it answers 503 itself if it needs the database).
    skipOnError: true,
    errorResponseBuilder: () => new CircletError('RATE_LIMITED'),
  };
  await app.register(rateLimit, { global: false, ...(shared ? { store: databaseStore(db) } : {}) });
  // A hook on the root, not the plugin's per-route one: it runs before each API's token
  // check, so requests that fail authentication count too.
  app.addHook('onRequest', app.rateLimit(limits));
}
