// Runner-token authentication for the runner protocol (`Authorization: Bearer <token>`).
// Valid tokens are remembered for a few seconds so each step report costs no token query.
import type { FastifyRequest } from 'fastify';
import { TtlCache } from '../../../domain/ttl-cache.ts';
import type { Database } from '../../../storage/db.ts';
import { findRunnerToken, type RunnerToken } from '../../../storage/runner-tokens.ts';
import { CircletError } from '../../../domain/errors.ts';

const caches = new WeakMap<Database, TtlCache<RunnerToken>>();

function presented(req: FastifyRequest): string {
  const auth = req.headers.authorization;
  const token = typeof auth === 'string' && auth.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
  if (!token) throw new CircletError('RUNNER_TOKEN_REQUIRED');
  return token;
}

function cacheOf(database: Database): TtlCache<RunnerToken> {
  let cache = caches.get(database);
  if (!cache) caches.set(database, (cache = new TtlCache<RunnerToken>()));
  return cache;
}

/** The request's runner token when it was looked up a moment ago (no query, no promise); throws without one. */
export function cachedRunnerAuth(database: Database, req: FastifyRequest): RunnerToken | undefined {
  return cacheOf(database).get(presented(req));
}

export async function runnerAuth(database: Database, req: FastifyRequest): Promise<RunnerToken> {
  const token = presented(req);
  const cache = cacheOf(database);
  // Keyed by the token itself (memory only): no hash per step report.
  const cached = cache.get(token);
  if (cached) return cached;
  const found = await findRunnerToken(database.db, token);
  if (!found) throw new CircletError('RUNNER_TOKEN_INVALID');
  cache.set(token, found);
  return found;
}
