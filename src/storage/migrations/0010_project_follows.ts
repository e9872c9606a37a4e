// Followed projects: which user follows which project. A user follows a project on creating
// or triggering it, and v1.1 follow/unfollow change it; CircleCI's dashboard and
// `GET /api/private/me/followed-projects` list it.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('project_follows')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_follows_pk', ['user_id', 'project_id'])
    .execute();
  await db.schema.createIndex('project_follows_project').on('project_follows').columns(['project_id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
