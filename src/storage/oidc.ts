// OIDC signing keys (sealed private JWKs) and the organization's and projects' custom claims.
import { nowIso } from '../domain/clock.ts';
import type { Db } from './executor.ts';
import type { OidcCustomClaimsTable, OidcSigningKeysTable } from './schema-orgs.ts';

export type OidcSigningKey = OidcSigningKeysTable;

/** Keys created at or after `since`, newest first. */
export async function signingKeysSince(db: Db, since: string): Promise<OidcSigningKey[]> {
  return db.selectFrom('oidc_signing_keys').selectAll().where('created_at', '>=', since).orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
}

export async function insertSigningKey(db: Db, key: OidcSigningKey): Promise<void> {
  await db.insertInto('oidc_signing_keys').values(key).execute();
}

/** Drops keys created before `before` (no token signed by them is still valid). */
export async function deleteSigningKeysBefore(db: Db, before: string): Promise<void> {
  await db.deleteFrom('oidc_signing_keys').where('created_at', '<', before).execute();
}

export interface CustomClaims {
  audience?: string[];
  audience_updated_at?: string;
  ttl?: string;
  ttl_updated_at?: string;
}

function toClaims(row: OidcCustomClaimsTable | undefined): CustomClaims {
  if (!row) return {};
  const out: CustomClaims = {};
  if (row.audience !== null) out.audience = JSON.parse(row.audience) as string[];
  if (row.audience_updated_at !== null) out.audience_updated_at = row.audience_updated_at;
  if (row.ttl !== null) out.ttl = row.ttl;
  if (row.ttl_updated_at !== null) out.ttl_updated_at = row.ttl_updated_at;
  return out;
}

/** The claims of the organization (projectId '') or of one of its projects. */
export async function getCustomClaims(db: Db, organizationId: string, projectId = ''): Promise<CustomClaims> {
  const row = await db.selectFrom('oidc_custom_claims').selectAll().where('organization_id', '=', organizationId).where('project_id', '=', projectId).executeTakeFirst();
  return toClaims(row);
}

/** Sets the given claims (others stay); returns the result. */
export async function patchCustomClaims(db: Db, organizationId: string, projectId: string, patch: { audience?: string[]; ttl?: string }): Promise<CustomClaims> {
  const now = nowIso();
  const set: Partial<OidcCustomClaimsTable> = {};
  if (patch.audience !== undefined) Object.assign(set, { audience: JSON.stringify(patch.audience), audience_updated_at: now });
  if (patch.ttl !== undefined) Object.assign(set, { ttl: patch.ttl, ttl_updated_at: now });
  const base = { organization_id: organizationId, project_id: projectId, audience: null, audience_updated_at: null, ttl: null, ttl_updated_at: null };
  if (Object.keys(set).length > 0) {
    await db
      .insertInto('oidc_custom_claims')
      .values({ ...base, ...set })
      .onConflict((oc) => oc.columns(['organization_id', 'project_id']).doUpdateSet(set))
      .execute();
  }
  return getCustomClaims(db, organizationId, projectId);
}

/** Removes the named claims ('audience', 'ttl'); returns what is left. */
export async function deleteCustomClaims(db: Db, organizationId: string, projectId: string, names: ('audience' | 'ttl')[]): Promise<CustomClaims> {
  const set: Partial<OidcCustomClaimsTable> = {};
  if (names.includes('audience')) Object.assign(set, { audience: null, audience_updated_at: null });
  if (names.includes('ttl')) Object.assign(set, { ttl: null, ttl_updated_at: null });
  if (Object.keys(set).length > 0) {
    await db.updateTable('oidc_custom_claims').set(set).where('organization_id', '=', organizationId).where('project_id', '=', projectId).execute();
  }
  return getCustomClaims(db, organizationId, projectId);
}
