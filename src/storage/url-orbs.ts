// The URL orb allow-list of an organization: config may import an orb by URL only when the
// URL starts with one of these prefixes.
import { newId, nowIso } from '../domain/clock.ts';
import type { Db } from './executor.ts';
import type { UrlOrbAllowListTable } from './schema-orgs.ts';
import { oldestFirst } from './order.ts';

export type UrlOrbAllowEntry = UrlOrbAllowListTable;

export async function listAllowEntries(db: Db, organizationId: string): Promise<UrlOrbAllowEntry[]> {
  return db.selectFrom('url_orb_allow_list').selectAll().where('organization_id', '=', organizationId).$call(oldestFirst).execute();
}

export async function createAllowEntry(db: Db, organizationId: string, e: { name: string; prefix: string; auth: string }): Promise<UrlOrbAllowEntry> {
  const row: UrlOrbAllowEntry = { id: newId(), organization_id: organizationId, name: e.name, prefix: e.prefix, auth: e.auth, created_at: nowIso() };
  await db.insertInto('url_orb_allow_list').values(row).execute();
  return row;
}

export async function deleteAllowEntry(db: Db, organizationId: string, id: string): Promise<boolean> {
  const res = await db.deleteFrom('url_orb_allow_list').where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
