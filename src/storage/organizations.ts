// Organizations and memberships.
import { newId, nowIso } from '../domain/clock.ts';
import type { Db } from './executor.ts';
import { preparedFirst } from './prepared.ts';
import { invalidateCachedReads } from './read-cache.ts';
import type { OrganizationsTable } from './schema.ts';

export type Organization = OrganizationsTable;

/** CircleCI's organization roles. Admins manage the organization; viewers only read. */
export const ROLES = ['admin', 'contributor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export async function getOrganization(db: Db, id: string): Promise<Organization | undefined> {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findOrganization(db: Db, vcsType: string, name: string): Promise<Organization | undefined> {
  return db.selectFrom('organizations').selectAll().where('vcs_type', '=', vcsType).where('name', '=', name).executeTakeFirst();
}

/** Creates an organization; undefined when one of that type and name exists. */
export async function createOrganization(db: Db, vcsType: string, name: string): Promise<Organization | undefined> {
  const row = { id: newId(), vcs_type: vcsType, name, created_at: nowIso() };
  const res = await db.insertInto('organizations').values(row).onConflict((oc) => oc.columns(['vcs_type', 'name']).doNothing()).executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0 ? row : undefined;
}

export async function ensureOrganization(db: Db, vcsType: string, name: string): Promise<Organization> {
  const existing = await findOrganization(db, vcsType, name);
  if (existing) return existing;
  await db
    .insertInto('organizations')
    .values({ id: newId(), vcs_type: vcsType, name, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['vcs_type', 'name']).doNothing())
    .execute();
  return (await findOrganization(db, vcsType, name))!;
}

/** Adds a member (an existing member keeps their role). */
export async function addMember(db: Db, organizationId: string, userId: string, role: Role = 'admin'): Promise<void> {
  await db
    .insertInto('memberships')
    .values({ organization_id: organizationId, user_id: userId, role, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doNothing())
    .execute();
}

/** Adds a member or changes an existing member's role. */
export async function setMemberRole(db: Db, organizationId: string, userId: string, role: Role): Promise<void> {
  await db
    .insertInto('memberships')
    .values({ organization_id: organizationId, user_id: userId, role, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doUpdateSet({ role }))
    .execute();
}

/** The user's role in the organization ('admin' | 'contributor' | 'viewer'), or undefined for a non-member. */
const roleOf = preparedFirst((db: Db, organizationId: string, userId: string) =>
  db.selectFrom('memberships').select('role').where('organization_id', '=', organizationId).where('user_id', '=', userId),
);

export async function membershipRole(db: Db, organizationId: string, userId: string): Promise<string | undefined> {
  return (await roleOf(db, organizationId, userId))?.role;
}

export async function isMember(db: Db, organizationId: string, userId: string): Promise<boolean> {
  return (await membershipRole(db, organizationId, userId)) !== undefined;
}

export async function organizationsOfUser(db: Db, userId: string): Promise<Organization[]> {
  return db
    .selectFrom('memberships')
    .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
    .selectAll('organizations')
    .where('memberships.user_id', '=', userId)
    .orderBy('organizations.name')
    .orderBy('organizations.id')
    .execute();
}

/** Every organization, by name. */
export async function listOrganizations(db: Db): Promise<Organization[]> {
  return db.selectFrom('organizations').selectAll().orderBy('name').orderBy('id').execute();
}

export async function deleteOrganization(db: Db, id: string): Promise<void> {
  invalidateCachedReads(db);
  await db.deleteFrom('organizations').where('id', '=', id).execute();
  invalidateCachedReads(db);
}

/** Ends a membership; true when there was one. */
export async function removeMember(db: Db, organizationId: string, userId: string): Promise<boolean> {
  invalidateCachedReads(db);
  const res = await db.deleteFrom('memberships').where('organization_id', '=', organizationId).where('user_id', '=', userId).executeTakeFirst();
  invalidateCachedReads(db);
  return Number(res.numDeletedRows) > 0;
}

/** The logins of an organization's members, in order. */
export async function memberLogins(db: Db, organizationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select('users.login')
    .where('memberships.organization_id', '=', organizationId)
    .orderBy('users.login')
    .execute();
  return rows.map((r) => r.login);
}
