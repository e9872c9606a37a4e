// Projects: repository URL, default branch and settings, addressed by slug.
import { newId, nowIso, UUID_RE } from '../domain/clock.ts';
import type { ProjectSlug } from '../domain/slug.ts';
import { inTransaction, isPostgres, type Db } from './executor.ts';
import { insertDefaultDefinition } from './pipeline-definitions.ts';
import type { Organization } from './organizations.ts';
import { preparedFirst } from './prepared.ts';
import { cachedRead, invalidateCachedReads, peekCachedRead } from './read-cache.ts';
import type { ProjectsTable } from './schema.ts';

export type Project = ProjectsTable;
export interface ProjectWithOrg extends Project {
  org_name: string;
  vcs_type: string;
}

function withOrg(db: Db) {
  return db
    .selectFrom('projects')
    .innerJoin('organizations', 'organizations.id', 'projects.organization_id')
    .selectAll('projects')
    .select(['organizations.name as org_name', 'organizations.vcs_type as vcs_type']);
}

const projectById = preparedFirst((db: Db, id: string) => withOrg(db).where('projects.id', '=', id));

export async function getProject(db: Db, id: string): Promise<ProjectWithOrg | undefined> {
  return projectById(db, id);
}

/** Finds the project a slug names: by org and repo names, or `circleci/<org-id>/<project-id>`. */
export async function findProjectBySlug(db: Db, slug: ProjectSlug): Promise<ProjectWithOrg | undefined> {
  if (slug.vcs === 'circleci') return UUID_RE.test(slug.org) && UUID_RE.test(slug.project) ? projectByIds(db, slug.project, slug.org) : undefined;
  return projectByNames(db, slug.vcs, slug.org, slug.project);
}

/**
 * The project a slug names, only when `userId` is a member of its organization (one query,
 * or none: every API call naming a project asks, so a found one is kept a few seconds,
 * read-cache.ts). The row is frozen (shared between callers).
 */
export async function findVisibleProjectBySlug(db: Db, slug: ProjectSlug, userId: string): Promise<Readonly<ProjectWithOrg> | undefined> {
  const key = visibleKey(slug, userId);
  if (key === undefined) return undefined;
  if (slug.vcs === 'circleci') return cachedRead(db, key, () => visibleProjectByIds(db, slug.project, slug.org, userId));
  return cachedRead(db, key, () => visibleProjectByNames(db, slug.vcs, slug.org, slug.project, userId));
}

/**
 * What findVisibleProjectBySlug would answer, when the read cache holds it: without a
 * promise (the hot path of a GET naming a project); undefined tells the caller to ask it.
 */
export function cachedVisibleProjectBySlug(db: Db, slug: ProjectSlug, userId: string): Readonly<ProjectWithOrg> | undefined {
  const key = visibleKey(slug, userId);
  return key === undefined ? undefined : peekCachedRead<ProjectWithOrg>(db, key);
}

/** The read-cache key of a visible-project lookup; undefined for a `circleci` slug that names no ids. */
function visibleKey(slug: ProjectSlug, userId: string): string | undefined {
  if (slug.vcs !== 'circleci') return `visible-project\n${userId}\n${slug.vcs}\n${slug.org}\n${slug.project}`;
  return UUID_RE.test(slug.org) && UUID_RE.test(slug.project) ? `visible-project-id\n${userId}\n${slug.org}\n${slug.project}` : undefined;
}

// Every API call naming a project runs one of these: prepared once (prepared.ts).
const byIds = (q: ReturnType<typeof withOrg>, id: string, orgId: string) => q.where('projects.id', '=', id).where('projects.organization_id', '=', orgId);
const byNames = (q: ReturnType<typeof withOrg>, vcs: string, org: string, name: string) =>
  q.where('organizations.vcs_type', '=', vcs).where('organizations.name', '=', org).where('projects.name', '=', name);
const visibleTo = (db: Db, userId: string) =>
  withOrg(db)
    .innerJoin('memberships', (j) => j.onRef('memberships.organization_id', '=', 'projects.organization_id'))
    .where('memberships.user_id', '=', userId);
const projectByIds = preparedFirst((db: Db, id: string, orgId: string) => byIds(withOrg(db), id, orgId));
const projectByNames = preparedFirst((db: Db, vcs: string, org: string, name: string) => byNames(withOrg(db), vcs, org, name));
const visibleProjectByIds = preparedFirst((db: Db, id: string, orgId: string, userId: string) => byIds(visibleTo(db, userId), id, orgId));
const visibleProjectByNames = preparedFirst((db: Db, vcs: string, org: string, name: string, userId: string) => byNames(visibleTo(db, userId), vcs, org, name));

export interface NewProject {
  name: string;
  vcsUrl: string;
  defaultBranch?: string;
}

export async function createProject(db: Db, org: Organization, p: NewProject): Promise<ProjectWithOrg> {
  const row: Project = {
    id: newId(),
    organization_id: org.id,
    name: p.name,
    vcs_url: p.vcsUrl,
    default_branch: p.defaultBranch ?? 'main',
    settings: '{}',
    created_at: nowIso(),
  };
  const project = { ...row, org_name: org.name, vcs_type: org.vcs_type };
  const insert = async (trx: Db) => {
    await trx.insertInto('projects').values(row).execute();
    await insertDefaultDefinition(trx, project);
  };
  await (db.isTransaction ? insert(db) : inTransaction(db, insert));
  return project;
}

export async function deleteProject(db: Db, id: string): Promise<void> {
  invalidateCachedReads(db);
  await db.deleteFrom('projects').where('id', '=', id).execute();
  invalidateCachedReads(db);
}

export async function updateProject(db: Db, id: string, changes: Partial<Pick<Project, 'settings' | 'default_branch' | 'vcs_url'>>): Promise<void> {
  invalidateCachedReads(db);
  await db.updateTable('projects').set(changes).where('id', '=', id).execute();
  invalidateCachedReads(db);
}

/** The advanced settings (CircleCI's names) circlet stores in `projects.settings`. */
export const ADVANCED_BOOLEAN_SETTINGS = [
  'autocancel_builds',
  'build_fork_prs',
  'build_prs_only',
  'disable_ssh',
  'forks_receive_secret_env_vars',
  'oss',
  'set_github_status',
  'setup_workflows',
  'write_settings_requires_admin',
] as const;

export type AdvancedBooleanSetting = (typeof ADVANCED_BOOLEAN_SETTINGS)[number];
export type AdvancedSettings = Record<AdvancedBooleanSetting, boolean> & { pr_only_branch_overrides: string[] };
export interface ProjectSettings {
  advanced: AdvancedSettings;
}

/** CircleCI's defaults for a new project. */
export function defaultAdvancedSettings(): AdvancedSettings {
  return {
    autocancel_builds: false,
    build_fork_prs: false,
    build_prs_only: false,
    disable_ssh: false,
    forks_receive_secret_env_vars: false,
    oss: false,
    set_github_status: true,
    setup_workflows: false,
    write_settings_requires_admin: false,
    pr_only_branch_overrides: [],
  };
}

/** The settings a project's `settings` JSON holds, over the defaults; junk is ignored. */
export function projectSettings(p: Pick<Project, 'settings'>): ProjectSettings {
  const advanced = defaultAdvancedSettings();
  let stored: unknown;
  try {
    stored = JSON.parse(p.settings);
  } catch {
    stored = undefined;
  }
  const a = (stored as { advanced?: Record<string, unknown> } | undefined)?.advanced;
  if (a && typeof a === 'object') {
    for (const k of ADVANCED_BOOLEAN_SETTINGS) if (typeof a[k] === 'boolean') advanced[k] = a[k];
    const b = a.pr_only_branch_overrides;
    if (Array.isArray(b) && b.every((x) => typeof x === 'string')) advanced.pr_only_branch_overrides = [...b];
  }
  return { advanced };
}

/**
 * Merges `changes` into a project's advanced settings and returns the result. The read and
 * the write share a transaction (the row locked on PostgreSQL), so concurrent patches of
 * different settings do not lose each other.
 */
export async function patchProjectSettings(db: Db, id: string, changes: Partial<AdvancedSettings>): Promise<ProjectSettings | undefined> {
  invalidateCachedReads(db);
  return inTransaction(db, async (trx) => {
    invalidateCachedReads(trx);
    let q = trx.selectFrom('projects').select('settings').where('id', '=', id);
    if (isPostgres(db)) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) return undefined;
    const current = projectSettings(row);
    const next: ProjectSettings = { advanced: { ...current.advanced } };
    for (const [k, v] of Object.entries(changes)) if (v !== undefined) (next.advanced as Record<string, unknown>)[k] = v;
    await trx.updateTable('projects').set({ settings: JSON.stringify(next) }).where('id', '=', id).execute();
    return next;
  });
}

/** The project named `name` in an organization. */
export async function findProjectInOrganization(db: Db, organizationId: string, name: string): Promise<ProjectWithOrg | undefined> {
  return withOrg(db).where('projects.organization_id', '=', organizationId).where('projects.name', '=', name).executeTakeFirst();
}

/** Every project with its organization, ordered by organization then name (for the CLI). */
export async function listAllProjects(db: Db): Promise<ProjectWithOrg[]> {
  return withOrg(db).orderBy('organizations.vcs_type').orderBy('organizations.name').orderBy('projects.name').execute();
}

/** Ids and names of the projects of these organizations, by name. */
export async function projectsOfOrganizations(db: Db, organizationIds: string[]): Promise<{ id: string; name: string }[]> {
  if (organizationIds.length === 0) return [];
  return db.selectFrom('projects').select(['id', 'name']).where('organization_id', 'in', organizationIds).orderBy('name').execute();
}
