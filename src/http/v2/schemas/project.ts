// JSON schemas of the Project tag: projects, advanced settings, environment variables and
// checkout keys. Written to match the shapes CircleCI's API v2 answers with.
import { ADVANCED_BOOLEAN_SETTINGS } from '../../../storage/projects.ts';

export const ENV_VAR_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
export const PROJECT_NAME_PATTERN = '^[A-Za-z0-9_.-]+$';
/** A repository URL or path: no control characters, and no leading `-` (git would read an option). */
export const VCS_URL_PATTERN = '^[^\\x00-\\x1f\\x7f-][^\\x00-\\x1f\\x7f]*$';
/** A git branch name: no spaces, control or ref-forbidden characters, and no leading `-`. */
export const BRANCH_PATTERN = '^[^\\s\\x00-\\x1f\\x7f~^:?*\\[\\\\-][^\\s\\x00-\\x1f\\x7f~^:?*\\[\\\\]*$';

export const projectSchema = {
  type: 'object',
  properties: {
    slug: { type: 'string' },
    name: { type: 'string' },
    id: { type: 'string', format: 'uuid' },
    organization_name: { type: 'string' },
    organization_slug: { type: 'string' },
    organization_id: { type: 'string', format: 'uuid' },
    vcs_info: {
      type: 'object',
      properties: {
        vcs_url: { type: 'string' },
        provider: { type: 'string', enum: ['Bitbucket', 'CircleCI', 'GitHub'] },
        default_branch: { type: 'string' },
      },
      required: ['vcs_url', 'provider', 'default_branch'],
    },
  },
  required: ['slug', 'name', 'id', 'organization_name', 'organization_slug', 'organization_id', 'vcs_info'],
} as const;

/** createProject body: CircleCI's `{name}`, plus the repository circlet clones. */
export const createProjectBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100, pattern: PROJECT_NAME_PATTERN },
    vcs_url: { type: 'string', minLength: 1, maxLength: 2048, pattern: VCS_URL_PATTERN, description: 'Repository URL or path circlet clones (circlet extension).' },
    repo_url: { type: 'string', minLength: 1, maxLength: 2048, pattern: VCS_URL_PATTERN, description: 'Alias of vcs_url (circlet extension).' },
    default_branch: { type: 'string', minLength: 1, maxLength: 255, pattern: BRANCH_PATTERN, description: 'Default branch, `main` when absent (circlet extension).' },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

export const PROJECT_NAME_RE = new RegExp(PROJECT_NAME_PATTERN);

/** createProject1 body (optional): the createProject fields but the name, which is in the path. */
export const createProject1Body = {
  type: 'object',
  properties: { vcs_url: createProjectBody.properties.vcs_url, repo_url: createProjectBody.properties.repo_url, default_branch: createProjectBody.properties.default_branch },
  additionalProperties: false,
} as const;

export const orgSlugParams = {
  type: 'object',
  properties: { vcs: { type: 'string' }, org: { type: 'string' } },
  required: ['vcs', 'org'],
} as const;

export const orgIdParams = {
  type: 'object',
  properties: { id: { type: 'string' } },
  required: ['id'],
} as const;

const advancedProperties = {
  ...Object.fromEntries(ADVANCED_BOOLEAN_SETTINGS.map((k) => [k, { type: 'boolean' }])),
  pr_only_branch_overrides: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 100 },
} as Record<string, object>;

export const projectSettingsSchema = {
  type: 'object',
  properties: {
    advanced: { type: 'object', properties: advancedProperties, additionalProperties: false },
  },
  additionalProperties: false,
} as const;

export const envVarSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    value: { type: 'string', description: 'Masked: `xxxx` plus the last 4 characters (fully `xxxx` for values of 4 characters or fewer).' },
    'created-at': { type: 'string', format: 'date-time', nullable: true },
  },
  required: ['name', 'value', 'created-at'],
} as const;

export const envVarListSchema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: envVarSchema },
    next_page_token: { type: 'string', nullable: true },
  },
  required: ['items', 'next_page_token'],
} as const;

export const createEnvVarBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 256, pattern: ENV_VAR_NAME_PATTERN },
    value: { type: 'string', maxLength: 65536 },
  },
  required: ['name', 'value'],
  additionalProperties: false,
} as const;

export const checkoutKeySchema = {
  type: 'object',
  properties: {
    'public-key': { type: 'string' },
    type: { type: 'string', enum: ['deploy-key', 'github-user-key'] },
    fingerprint: { type: 'string' },
    preferred: { type: 'boolean' },
    'created-at': { type: 'string', format: 'date-time' },
  },
  required: ['public-key', 'type', 'fingerprint', 'preferred', 'created-at'],
} as const;

export const checkoutKeyListSchema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: checkoutKeySchema },
    next_page_token: { type: 'string', nullable: true },
  },
  required: ['items', 'next_page_token'],
} as const;

export const createCheckoutKeyBody = {
  type: 'object',
  properties: { type: { type: 'string', enum: ['user-key', 'deploy-key'] } },
  required: ['type'],
  additionalProperties: false,
} as const;

export const digestQuery = {
  type: 'object',
  properties: {
    digest: { type: 'string', enum: ['sha256', 'md5'] },
    'page-token': { type: 'string' },
  },
} as const;
