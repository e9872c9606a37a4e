// Table types for Kysely. One schema serves SQLite and PostgreSQL: ids are UUID text,
// timestamps are ISO-8601 UTC text (sortable), booleans are 0/1 integers, JSON is text.
export interface UsersTable {
  id: string;
  login: string;
  name: string;
  avatar_url: string | null;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: string;
}

export interface OrganizationsTable {
  id: string;
  /** 'github' | 'bitbucket' | 'circleci' */
  vcs_type: string;
  name: string;
  created_at: string;
}

export interface MembershipsTable {
  organization_id: string;
  user_id: string;
  /** 'admin' | 'member' */
  role: string;
  created_at: string;
}

export interface ProjectsTable {
  id: string;
  organization_id: string;
  name: string;
  vcs_url: string;
  default_branch: string;
  /** JSON text of the advanced settings circlet honours. */
  settings: string;
  created_at: string;
}

export interface ProjectEnvVarsTable {
  project_id: string;
  name: string;
  /** AES-256-GCM sealed value. */
  value_sealed: string;
  created_at: string;
}

export interface CheckoutKeysTable {
  id: string;
  project_id: string;
  /** 'deploy-key' | 'user-key' */
  type: string;
  public_key: string;
  private_key_sealed: string;
  fingerprint_md5: string;
  fingerprint_sha256: string;
  created_at: string;
}

export interface Schema {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  projects: ProjectsTable;
  project_env_vars: ProjectEnvVarsTable;
  checkout_keys: CheckoutKeysTable;
}
