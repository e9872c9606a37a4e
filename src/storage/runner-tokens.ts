// Runner tokens: what an agent presents to claim jobs; stored only as SHA-256.
import { newId, nowIso } from '../domain/clock.ts';
import { generateToken, hashToken } from '../domain/tokens.ts';
import type { Db } from './executor.ts';
import { findResourceClass } from './resource-classes.ts';
import type { RunnerTokensTable } from './schema.ts';
import { oldestFirst } from './order.ts';

export type RunnerToken = RunnerTokensTable;

/**
 * Creates a token; `resourceClass` '' means CircleCI's cloud classes, else a self-hosted
 * class that must exist (it belongs to one organization, so the token serves that one).
 * Returns the plaintext once.
 */
export async function createRunnerToken(db: Db, name: string, resourceClass = ''): Promise<string> {
  if (resourceClass !== '' && !(await findResourceClass(db, resourceClass))) {
    throw new Error(`resource class ${resourceClass} does not exist; create it first (circlet runner resource-class create ${resourceClass} --org <org>)`);
  }
  const token = generateToken();
  await db.insertInto('runner_tokens').values({ id: newId(), token_hash: hashToken(token), name, resource_class: resourceClass, created_at: nowIso() }).execute();
  return token;
}

export async function findRunnerToken(db: Db, token: string): Promise<RunnerToken | undefined> {
  return db.selectFrom('runner_tokens').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
}

/** Creates a token for a self-hosted class as `createRunnerToken` does; returns its row and the plaintext (shown once). */
export async function issueRunnerToken(db: Db, name: string, resourceClass: string): Promise<{ row: RunnerToken; token: string }> {
  const token = generateToken();
  const row = { id: newId(), token_hash: hashToken(token), name, resource_class: resourceClass, created_at: nowIso() };
  await db.insertInto('runner_tokens').values(row).execute();
  return { row, token };
}

export async function getRunnerToken(db: Db, id: string): Promise<RunnerToken | undefined> {
  return db.selectFrom('runner_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function runnerTokensOfClass(db: Db, resourceClass: string): Promise<RunnerToken[]> {
  return db.selectFrom('runner_tokens').selectAll().where('resource_class', '=', resourceClass).$call(oldestFirst).execute();
}

export async function deleteRunnerToken(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('runner_tokens').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
