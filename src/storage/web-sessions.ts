// Dashboard sessions (web_sessions): created at sign-in, looked up by the hash of the cookie's
// secret, deleted at sign-out; expired rows are never honoured and are swept at sign-in.
import { nowIso } from '../domain/clock.ts';
import { generateToken, hashToken } from '../domain/tokens.ts';
import type { Db } from './executor.ts';
import type { User } from './users.ts';

/** Creates a session for the user and returns the secret the cookie carries (its only copy). */
export async function createWebSession(db: Db, userId: string, ttlMs: number, now = new Date()): Promise<string> {
  const secret = generateToken() + generateToken();
  await db.deleteFrom('web_sessions').where('expires_at', '<', now.toISOString()).execute();
  await db
    .insertInto('web_sessions')
    .values({ id_hash: hashToken(secret), user_id: userId, created_at: now.toISOString(), expires_at: new Date(now.getTime() + ttlMs).toISOString() })
    .execute();
  return secret;
}

/** The user of a live session, or undefined when the secret is unknown or expired. */
export async function userForWebSession(db: Db, secret: string): Promise<User | undefined> {
  return db
    .selectFrom('web_sessions')
    .innerJoin('users', 'users.id', 'web_sessions.user_id')
    .selectAll('users')
    .where('web_sessions.id_hash', '=', hashToken(secret))
    .where('web_sessions.expires_at', '>', nowIso())
    .executeTakeFirst();
}

export async function deleteWebSession(db: Db, secret: string): Promise<void> {
  await db.deleteFrom('web_sessions').where('id_hash', '=', hashToken(secret)).execute();
}
