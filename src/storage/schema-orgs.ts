// Tables of migrations 0016 and 0017: OIDC signing keys and custom claims, organization
// groups, the URL orb allow-list, and deploy tracking (environments, components, releases).

export interface OidcSigningKeysTable {
  kid: string;
  /** 'ES256' */
  alg: string;
  /** JSON text of the public JWK (with kid, alg, use). */
  public_jwk: string;
  /** The private JWK's JSON, sealed (domain/secret-box.ts). */
  private_jwk_sealed: string;
  created_at: string;
}

export interface OidcCustomClaimsTable {
  organization_id: string;
  /** '' for the organization's own claims. */
  project_id: string;
  /** JSON text of a string array, or null. */
  audience: string | null;
  audience_updated_at: string | null;
  ttl: string | null;
  ttl_updated_at: string | null;
}

export interface OrgGroupsTable {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  created_at: string;
}

export interface OrgGroupMembersTable {
  group_id: string;
  user_id: string;
  created_at: string;
}

export interface UrlOrbAllowListTable {
  id: string;
  organization_id: string;
  name: string;
  prefix: string;
  /** 'none' | 'github-oauth' | 'github-app' | 'bitbucket-oauth' */
  auth: string;
  created_at: string;
}

export interface DeployEnvironmentsTable {
  id: string;
  organization_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface DeployComponentsTable {
  id: string;
  organization_id: string;
  project_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface DeployReleasesTable {
  id: string;
  component_id: string;
  environment_id: string;
  version: string;
  namespace: string;
  /** 'PLANNED' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'CANCELED' */
  status: string;
  pipeline_id: string;
  workflow_id: string;
  job_id: string;
  job_number: number | null;
  created_at: string;
  updated_at: string;
}

export interface OrgSchema {
  deploy_environments: DeployEnvironmentsTable;
  deploy_components: DeployComponentsTable;
  deploy_releases: DeployReleasesTable;
  oidc_signing_keys: OidcSigningKeysTable;
  oidc_custom_claims: OidcCustomClaimsTable;
  org_groups: OrgGroupsTable;
  org_group_members: OrgGroupMembersTable;
  url_orb_allow_list: UrlOrbAllowListTable;
}
