// Deploy tracking: environments, components and their releases (docs/deploys.md).
import { newId, nowIso } from '../domain/clock.ts';
import type { Db } from './executor.ts';
import type { DeployComponentsTable, DeployEnvironmentsTable, DeployReleasesTable } from './schema-orgs.ts';

export type DeployEnvironment = DeployEnvironmentsTable;
export type DeployComponent = DeployComponentsTable;
export type DeployRelease = DeployReleasesTable;

export async function ensureEnvironment(db: Db, organizationId: string, name: string): Promise<DeployEnvironment> {
  const now = nowIso();
  await db.insertInto('deploy_environments').values({ id: newId(), organization_id: organizationId, name, created_at: now, updated_at: now }).onConflict((oc) => oc.columns(['organization_id', 'name']).doNothing()).execute();
  return (await db.selectFrom('deploy_environments').selectAll().where('organization_id', '=', organizationId).where('name', '=', name).executeTakeFirst())!;
}

export async function ensureComponent(db: Db, organizationId: string, projectId: string, name: string): Promise<DeployComponent> {
  const now = nowIso();
  await db.insertInto('deploy_components').values({ id: newId(), organization_id: organizationId, project_id: projectId, name, created_at: now, updated_at: now }).onConflict((oc) => oc.columns(['project_id', 'name']).doNothing()).execute();
  return (await db.selectFrom('deploy_components').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst())!;
}

export async function getEnvironment(db: Db, id: string): Promise<DeployEnvironment | undefined> {
  return db.selectFrom('deploy_environments').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findEnvironment(db: Db, organizationId: string, name: string): Promise<DeployEnvironment | undefined> {
  return db.selectFrom('deploy_environments').selectAll().where('organization_id', '=', organizationId).where('name', '=', name).executeTakeFirst();
}

export async function getComponent(db: Db, id: string): Promise<DeployComponent | undefined> {
  return db.selectFrom('deploy_components').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findComponent(db: Db, projectId: string, name: string): Promise<DeployComponent | undefined> {
  return db.selectFrom('deploy_components').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
}

export async function listEnvironments(db: Db, organizationId: string, offset: number, limit: number): Promise<DeployEnvironment[]> {
  return db.selectFrom('deploy_environments').selectAll().where('organization_id', '=', organizationId).orderBy('name').orderBy('id').offset(offset).limit(limit).execute();
}

export async function listComponents(db: Db, organizationId: string, projectId: string | undefined, offset: number, limit: number): Promise<DeployComponent[]> {
  let q = db.selectFrom('deploy_components').selectAll().where('organization_id', '=', organizationId);
  if (projectId) q = q.where('project_id', '=', projectId);
  return q.orderBy('name').orderBy('id').offset(offset).limit(limit).execute();
}

export async function releaseCount(db: Db, componentId: string): Promise<number> {
  const row = await db.selectFrom('deploy_releases').select((eb) => eb.fn.countAll().as('n')).where('component_id', '=', componentId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Releases of a component (in one environment, when given), newest first. */
export async function releasesOf(db: Db, componentId: string, environmentId?: string): Promise<DeployRelease[]> {
  let q = db.selectFrom('deploy_releases').selectAll().where('component_id', '=', componentId);
  if (environmentId) q = q.where('environment_id', '=', environmentId);
  return q.orderBy('updated_at', 'desc').orderBy('id', 'desc').execute();
}

/** The job's release of a component to an environment (the one `release plan` made). */
export async function releaseOfJob(db: Db, jobId: string, componentId: string, environmentId: string): Promise<DeployRelease | undefined> {
  return db.selectFrom('deploy_releases').selectAll().where('job_id', '=', jobId).where('component_id', '=', componentId).where('environment_id', '=', environmentId).orderBy('created_at', 'desc').executeTakeFirst();
}

export async function insertRelease(db: Db, r: Omit<DeployRelease, 'id' | 'created_at' | 'updated_at'>): Promise<DeployRelease> {
  const now = nowIso();
  const row = { ...r, id: newId(), created_at: now, updated_at: now };
  await db.insertInto('deploy_releases').values(row).execute();
  return row;
}

export async function updateRelease(db: Db, id: string, changes: Partial<Pick<DeployRelease, 'status' | 'version'>>): Promise<void> {
  await db.updateTable('deploy_releases').set({ ...changes, updated_at: nowIso() }).where('id', '=', id).execute();
}
