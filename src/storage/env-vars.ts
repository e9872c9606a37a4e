// Project environment variables, sealed at rest.
import { nowIso } from '../domain/clock.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { Db } from './executor.ts';

export interface EnvVar {
  name: string;
  value: string;
  created_at: string;
}

/** Creates or replaces a variable. */
export async function putEnvVar(db: Db, box: SecretBox, projectId: string, name: string, value: string): Promise<EnvVar> {
  const created_at = nowIso();
  const value_sealed = box.seal(value);
  await db
    .insertInto('project_env_vars')
    .values({ project_id: projectId, name, value_sealed, created_at })
    .onConflict((oc) => oc.columns(['project_id', 'name']).doUpdateSet({ value_sealed, created_at }))
    .execute();
  return { name, value, created_at };
}

export async function getEnvVar(db: Db, box: SecretBox, projectId: string, name: string): Promise<EnvVar | undefined> {
  const row = await db
    .selectFrom('project_env_vars')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst();
  return row && { name: row.name, value: box.open(row.value_sealed), created_at: row.created_at };
}

/** A page of variables ordered by name, starting after `after`. Fetches `limit + 1` rows. */
export async function listEnvVars(db: Db, box: SecretBox, projectId: string, limit: number, after?: string): Promise<EnvVar[]> {
  let q = db.selectFrom('project_env_vars').selectAll().where('project_id', '=', projectId);
  if (after !== undefined) q = q.where('name', '>', after);
  const rows = await q.orderBy('name').limit(limit + 1).execute();
  return rows.map((r) => ({ name: r.name, value: box.open(r.value_sealed), created_at: r.created_at }));
}

export async function deleteEnvVar(db: Db, projectId: string, name: string): Promise<boolean> {
  const res = await db.deleteFrom('project_env_vars').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Every variable of a project, opened, by name. */
export async function envVarsOfProject(db: Db, box: SecretBox, projectId: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('project_env_vars').select(['name', 'value_sealed']).where('project_id', '=', projectId).orderBy('name').execute();
  return Object.fromEntries(rows.map((r) => [r.name, box.open(r.value_sealed)]));
}
