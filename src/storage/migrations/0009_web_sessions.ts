// Dashboard sign-in sessions: a personal API token is exchanged once for a session whose
// secret lives only in the browser's HttpOnly cookie; the server keeps its SHA-256 and the
// expiry. Sign-out (or expiry) deletes the row, which ends the session at once.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('web_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('web_sessions_expiry').on('web_sessions').columns(['expires_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
