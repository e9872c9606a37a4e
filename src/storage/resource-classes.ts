// Self-hosted resource classes (`namespace/name`): each belongs to the organization that
// created it, as CircleCI's runner namespaces do.
import { nowIso } from '../domain/clock.ts';
import type { Db } from './executor.ts';
import type { ResourceClassesTable } from './schema.ts';

export type ResourceClass = ResourceClassesTable;

/** `namespace/name`, each part letters, digits, `_`, `.` or `-`. */
export const RESOURCE_CLASS_RE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export class ResourceClassTaken extends Error {}

/** Creates the class for `organizationId`; ResourceClassTaken when it already exists (for any organization). */
export async function createResourceClass(db: Db, name: string, organizationId: string): Promise<ResourceClass> {
  if (!RESOURCE_CLASS_RE.test(name)) throw new Error(`invalid resource class '${name}': expected namespace/name`);
  const existing = await findResourceClass(db, name);
  if (existing) throw new ResourceClassTaken(`resource class ${name} already exists`);
  const row = { name, organization_id: organizationId, created_at: nowIso() };
  await db.insertInto('resource_classes').values(row).execute();
  return row;
}

export async function findResourceClass(db: Db, name: string): Promise<ResourceClass | undefined> {
  return db.selectFrom('resource_classes').selectAll().where('name', '=', name).executeTakeFirst();
}
