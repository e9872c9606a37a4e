// Groups of users in an organization (tag Groups), usable in context restrictions.
import { newId, nowIso } from '../domain/clock.ts';
import type { Db } from './executor.ts';
import type { OrgGroupsTable } from './schema-orgs.ts';

export type OrgGroup = OrgGroupsTable;

/** Creates a group; undefined when the organization has one of that name. */
export async function createGroup(db: Db, organizationId: string, name: string, description: string): Promise<OrgGroup | undefined> {
  const row: OrgGroup = { id: newId(), organization_id: organizationId, name, description, created_at: nowIso() };
  const res = await db.insertInto('org_groups').values(row).onConflict((oc) => oc.columns(['organization_id', 'name']).doNothing()).executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0 ? row : undefined;
}

export async function getGroup(db: Db, organizationId: string, id: string): Promise<OrgGroup | undefined> {
  return db.selectFrom('org_groups').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
}

export async function findGroupByName(db: Db, organizationId: string, name: string): Promise<OrgGroup | undefined> {
  return db.selectFrom('org_groups').selectAll().where('organization_id', '=', organizationId).where('name', '=', name).executeTakeFirst();
}

/** A page of groups by name (then id), after `after` = [name, id]. */
export async function listGroups(db: Db, organizationId: string, limit: number, after?: [string, string]): Promise<OrgGroup[]> {
  let q = db.selectFrom('org_groups').selectAll().where('organization_id', '=', organizationId);
  if (after) q = q.where((eb) => eb.or([eb('name', '>', after[0]), eb.and([eb('name', '=', after[0]), eb('id', '>', after[1])])]));
  return q.orderBy('name').orderBy('id').limit(limit).execute();
}

export async function countGroups(db: Db, organizationId: string): Promise<number> {
  const row = await db.selectFrom('org_groups').select((eb) => eb.fn.countAll().as('n')).where('organization_id', '=', organizationId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function deleteGroup(db: Db, id: string): Promise<boolean> {
  const res = await db.deleteFrom('org_groups').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function addGroupMember(db: Db, groupId: string, userId: string): Promise<void> {
  await db.insertInto('org_group_members').values({ group_id: groupId, user_id: userId, created_at: nowIso() }).onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing()).execute();
}

export async function removeGroupMember(db: Db, groupId: string, userId: string): Promise<boolean> {
  const res = await db.deleteFrom('org_group_members').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function isGroupMember(db: Db, groupId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('org_group_members').select('user_id').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

/** The logins of a group's members, in order. */
export async function groupMemberLogins(db: Db, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom('org_group_members').innerJoin('users', 'users.id', 'org_group_members.user_id').select('users.login').where('org_group_members.group_id', '=', groupId).orderBy('users.login').execute();
  return rows.map((r) => r.login);
}
