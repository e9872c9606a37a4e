// OIDC signing keys and custom claims (issue 14), organization groups and the URL orb
// allow-list. Signing keys are global to the server (one JWKS, published under every
// organization's issuer); private keys are sealed (domain/secret-box.ts). Membership roles
// become CircleCI's three: admin, contributor, viewer ('member' was a contributor).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oidc_signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_jwk_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // project_id '' holds the organization's own claims.
  await db.schema
    .createTable('oidc_custom_claims')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('audience', 'text')
    .addColumn('audience_updated_at', 'text')
    .addColumn('ttl', 'text')
    .addColumn('ttl_updated_at', 'text')
    .addPrimaryKeyConstraint('oidc_custom_claims_pk', ['organization_id', 'project_id'])
    .execute();
  await db.schema
    .createTable('org_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('org_groups_name', ['organization_id', 'name'])
    .execute();
  await db.schema
    .createTable('org_group_members')
    .addColumn('group_id', 'text', (c) => c.notNull().references('org_groups.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('org_group_members_pk', ['group_id', 'user_id'])
    .execute();
  await db.schema
    .createTable('url_orb_allow_list')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('auth', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.updateTable('memberships').set({ role: 'contributor' }).where('role', '=', 'member').execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
