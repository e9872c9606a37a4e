// Users and their personal API tokens.
import { newId, nowIso } from '../domain/clock.ts';
import { generateToken, hashToken } from '../domain/tokens.ts';
import type { Database } from './db.ts';
import type { UsersTable } from './schema.ts';

export type User = UsersTable;

export async function getUser(d: Database, id: string): Promise<User | undefined> {
  return d.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUserByLogin(d: Database, login: string): Promise<User | undefined> {
  return d.db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirst();
}

/** Returns the user with this login, creating it when missing (safe under races). */
export async function ensureUser(d: Database, login: string, name = login): Promise<User> {
  const existing = await findUserByLogin(d, login);
  if (existing) return existing;
  const user: User = { id: newId(), login, name, avatar_url: null, created_at: nowIso() };
  await d.db.insertInto('users').values(user).onConflict((oc) => oc.column('login').doNothing()).execute();
  return (await findUserByLogin(d, login))!;
}

/** Creates a personal API token and returns its only plaintext copy. */
export async function createApiToken(d: Database, userId: string, name: string): Promise<string> {
  const token = generateToken();
  await d.db
    .insertInto('api_tokens')
    .values({ id: newId(), user_id: userId, name, token_hash: hashToken(token), created_at: nowIso() })
    .execute();
  return token;
}

export async function userForToken(d: Database, token: string): Promise<User | undefined> {
  return d.db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .selectAll('users')
    .where('api_tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst();
}
