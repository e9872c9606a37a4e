// Users and their personal API tokens.
import { newId, nowIso } from '../domain/clock.ts';
import { generateToken, hashToken } from '../domain/tokens.ts';
import type { Db } from './executor.ts';
import { preparedFirst } from './prepared.ts';
import type { UsersTable } from './schema.ts';

export type User = UsersTable;

const userById = preparedFirst((db: Db, id: string) => db.selectFrom('users').selectAll().where('id', '=', id));

export async function getUser(db: Db, id: string): Promise<User | undefined> {
  return userById(db, id);
}

export async function findUserByLogin(db: Db, login: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirst();
}

/** Returns the user with this login, creating it when missing (safe under races). */
export async function ensureUser(db: Db, login: string, name = login): Promise<User> {
  const existing = await findUserByLogin(db, login);
  if (existing) return existing;
  const user: User = { id: newId(), login, name, avatar_url: null, created_at: nowIso() };
  await db.insertInto('users').values(user).onConflict((oc) => oc.column('login').doNothing()).execute();
  return (await findUserByLogin(db, login))!;
}

/** Creates a personal API token and returns its only plaintext copy. */
export async function createApiToken(db: Db, userId: string, name: string): Promise<string> {
  const token = generateToken();
  await db
    .insertInto('api_tokens')
    .values({ id: newId(), user_id: userId, name, token_hash: hashToken(token), created_at: nowIso() })
    .execute();
  return token;
}

export interface ApiTokenInfo {
  id: string;
  name: string;
  created_at: string;
}

/** A user's personal API tokens (never their hashes), newest first. */
export async function listApiTokens(db: Db, userId: string): Promise<ApiTokenInfo[]> {
  return db.selectFrom('api_tokens').select(['id', 'name', 'created_at']).where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}

/** Revokes one of the user's tokens; false when the user has no token with that id. */
export async function deleteApiToken(db: Db, userId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('api_tokens').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Creates a token and answers its record with the only plaintext copy. */
export async function createApiTokenRecord(db: Db, userId: string, name: string): Promise<ApiTokenInfo & { token: string }> {
  const token = generateToken();
  const row = { id: newId(), user_id: userId, name, token_hash: hashToken(token), created_at: nowIso() };
  await db.insertInto('api_tokens').values(row).execute();
  return { id: row.id, name, created_at: row.created_at, token };
}

const userForTokenHash = preparedFirst((db: Db, hash: string) =>
  db.selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id').selectAll('users').where('api_tokens.token_hash', '=', hash),
);

export async function userForToken(db: Db, token: string): Promise<User | undefined> {
  return userForTokenHash(db, hashToken(token));
}

/** Users by id (unknown ids are left out). */
export async function usersByIds(db: Db, ids: string[]): Promise<User[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
}

/** Any query at all: true when the database answers. */
export async function databaseAnswers(db: Db): Promise<boolean> {
  try {
    await db.selectFrom('users').select('id').limit(1).execute();
    return true;
  } catch {
    return false;
  }
}
