// Projects: repository URL, default branch and settings, addressed by slug.
import { newId, nowIso, UUID_RE } from '../domain/clock.ts';
import type { ProjectSlug } from '../domain/slug.ts';
import type { Database } from './db.ts';
import type { Organization } from './organizations.ts';
import type { ProjectsTable } from './schema.ts';

export type Project = ProjectsTable;
export interface ProjectWithOrg extends Project {
  org_name: string;
  vcs_type: string;
}

function withOrg(d: Database) {
  return d.db
    .selectFrom('projects')
    .innerJoin('organizations', 'organizations.id', 'projects.organization_id')
    .selectAll('projects')
    .select(['organizations.name as org_name', 'organizations.vcs_type as vcs_type']);
}

export async function getProject(d: Database, id: string): Promise<ProjectWithOrg | undefined> {
  return withOrg(d).where('projects.id', '=', id).executeTakeFirst();
}

/** Finds the project a slug names: by org and repo names, or `circleci/<org-id>/<project-id>`. */
export async function findProjectBySlug(d: Database, slug: ProjectSlug): Promise<ProjectWithOrg | undefined> {
  if (slug.vcs === 'circleci') {
    if (!UUID_RE.test(slug.org) || !UUID_RE.test(slug.project)) return undefined;
    return withOrg(d).where('projects.id', '=', slug.project).where('projects.organization_id', '=', slug.org).executeTakeFirst();
  }
  return withOrg(d)
    .where('organizations.vcs_type', '=', slug.vcs)
    .where('organizations.name', '=', slug.org)
    .where('projects.name', '=', slug.project)
    .executeTakeFirst();
}

export interface NewProject {
  name: string;
  vcsUrl: string;
  defaultBranch?: string;
}

export async function createProject(d: Database, org: Organization, p: NewProject): Promise<ProjectWithOrg> {
  const row: Project = {
    id: newId(),
    organization_id: org.id,
    name: p.name,
    vcs_url: p.vcsUrl,
    default_branch: p.defaultBranch ?? 'main',
    settings: '{}',
    created_at: nowIso(),
  };
  await d.db.insertInto('projects').values(row).execute();
  return { ...row, org_name: org.name, vcs_type: org.vcs_type };
}

export async function deleteProject(d: Database, id: string): Promise<void> {
  await d.db.deleteFrom('projects').where('id', '=', id).execute();
}

export async function updateProject(d: Database, id: string, changes: Partial<Pick<Project, 'settings' | 'default_branch' | 'vcs_url'>>): Promise<void> {
  await d.db.updateTable('projects').set(changes).where('id', '=', id).execute();
}
