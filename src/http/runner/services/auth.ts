// Runner-token authentication for the runner protocol (`Authorization: Bearer <token>`).
// Valid tokens are remembered for a few seconds so each step report costs no token query.
import type { FastifyRequest } from 'fastify';
import { TtlCache } from '../../../domain/ttl-cache.ts';
import type { Database } from '../../../storage/db.ts';
import { findRunnerToken, type RunnerToken } from '../../../storage/runner-tokens.ts';
import { CircletError } from '../../../domain/errors.ts';

const caches = new WeakMap<Database, TtlCache<RunnerToken>>();

export async function runnerAuth(database: Database, req: FastifyRequest): Promise<RunnerToken> {
  const auth = req.headers.authorization;
  const token = typeof auth === 'string' && auth.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
  if (!token) throw new CircletError('RUNNER_TOKEN_REQUIRED');
  let cache = caches.get(database);
  if (!cache) caches.set(database, (cache = new TtlCache<RunnerToken>()));
  // Keyed by the token itself (memory only): no hash per step report.
  const cached = cache.get(token);
  if (cached) return cached;
  const found = await findRunnerToken(database.db, token);
  if (!found) throw new CircletError('RUNNER_TOKEN_INVALID');
  cache.set(token, found);
  return found;
}
