// Self-hosted resource classes (`namespace/name`): each belongs to the organization that
// created it, as CircleCI's runner namespaces do.
import { newId, nowIso } from '../domain/clock.ts';
import type { Db } from './executor.ts';
import type { ResourceClassesTable } from './schema.ts';

export type ResourceClass = ResourceClassesTable;

/** `namespace/name`, each part letters, digits, `_`, `.` or `-`. */
export const RESOURCE_CLASS_RE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export class ResourceClassTaken extends Error {}

/** Creates the class for `organizationId`; ResourceClassTaken when it already exists (for any organization). */
export async function createResourceClass(db: Db, name: string, organizationId: string, description = ''): Promise<ResourceClass> {
  if (!RESOURCE_CLASS_RE.test(name)) throw new Error(`invalid resource class '${name}': expected namespace/name`);
  const existing = await findResourceClass(db, name);
  if (existing) throw new ResourceClassTaken(`resource class ${name} already exists`);
  const row = { id: newId(), name, organization_id: organizationId, description, created_at: nowIso() };
  await db.insertInto('resource_classes').values(row).execute();
  return row;
}

export async function findResourceClass(db: Db, name: string): Promise<ResourceClass | undefined> {
  return db.selectFrom('resource_classes').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function getResourceClass(db: Db, id: string): Promise<ResourceClass | undefined> {
  return db.selectFrom('resource_classes').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The classes of these organizations in `namespace` (the part before the `/`), by name. */
export async function resourceClassesInNamespace(db: Db, namespace: string, organizationIds: readonly string[]): Promise<ResourceClass[]> {
  if (organizationIds.length === 0) return [];
  const rows = await db.selectFrom('resource_classes').selectAll().where('organization_id', 'in', [...organizationIds]).orderBy('name').execute();
  return rows.filter((r) => r.name.startsWith(`${namespace}/`));
}

/** Deletes the class and the runner tokens serving it; false when there was none. */
export async function deleteResourceClass(db: Db, id: string): Promise<boolean> {
  const rc = await getResourceClass(db, id);
  if (!rc) return false;
  await db.deleteFrom('runner_tokens').where('resource_class', '=', rc.name).execute();
  await db.deleteFrom('resource_classes').where('id', '=', id).execute();
  return true;
}
