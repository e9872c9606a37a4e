// Followed projects: a user follows a project on creating or triggering it, and by v1.1
// follow/unfollow. Only members of the project's organization see it followed.
import { nowIso } from '../domain/clock.ts';
import type { Db } from './executor.ts';
import type { ProjectWithOrg } from './projects.ts';

/** Follows a project; following it again changes nothing. */
export async function followProject(db: Db, userId: string, projectId: string): Promise<void> {
  await db
    .insertInto('project_follows')
    .values({ user_id: userId, project_id: projectId, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['user_id', 'project_id']).doNothing())
    .execute();
}

/** Stops following a project; returns whether it was followed. */
export async function unfollowProject(db: Db, userId: string, projectId: string): Promise<boolean> {
  const res = await db.deleteFrom('project_follows').where('user_id', '=', userId).where('project_id', '=', projectId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/**
 * A page of the projects a user follows in an organization it is a member of, by
 * organization then project name, starting after the key `after`. Fetches `limit + 1` rows.
 */
export async function followedProjects(
  db: Db,
  userId: string,
  limit: number,
  after?: { vcs: string; org: string; name: string },
): Promise<ProjectWithOrg[]> {
  let q = db
    .selectFrom('project_follows')
    .innerJoin('projects', 'projects.id', 'project_follows.project_id')
    .innerJoin('organizations', 'organizations.id', 'projects.organization_id')
    .innerJoin('memberships', (j) => j.onRef('memberships.organization_id', '=', 'projects.organization_id').onRef('memberships.user_id', '=', 'project_follows.user_id'))
    .selectAll('projects')
    .select(['organizations.name as org_name', 'organizations.vcs_type as vcs_type'])
    .where('project_follows.user_id', '=', userId);
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb('organizations.vcs_type', '>', after.vcs),
        eb.and([eb('organizations.vcs_type', '=', after.vcs), eb('organizations.name', '>', after.org)]),
        eb.and([eb('organizations.vcs_type', '=', after.vcs), eb('organizations.name', '=', after.org), eb('projects.name', '>', after.name)]),
      ]),
    );
  }
  return q.orderBy('organizations.vcs_type').orderBy('organizations.name').orderBy('projects.name').limit(limit + 1).execute();
}

/** Whether a user follows a project. */
export async function isFollowing(db: Db, userId: string, projectId: string): Promise<boolean> {
  const row = await db.selectFrom('project_follows').select('user_id').where('user_id', '=', userId).where('project_id', '=', projectId).executeTakeFirst();
  return row !== undefined;
}
