// Retention of job outputs: how long artifacts, caches and workspace layers are kept (per
// project, over CircleCI's defaults), the rows past it, and the claim that lets exactly one
// replica run a periodic sweep per interval.
import type { Db } from './executor.ts';

export const RETENTION_KINDS = ['artifacts', 'caches', 'workspaces'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];
export type Retention = Record<RetentionKind, number>;

/** CircleCI's defaults: artifacts 30 days, caches 15 days, workspaces 15 days. */
export const DEFAULT_RETENTION: Retention = { artifacts: 30, caches: 15, workspaces: 15 };

/** CircleCI lets a plan keep outputs between 1 day and 30 days (usage controls). */
export const MAX_RETENTION_DAYS = 30;

const COLUMN = { artifacts: 'artifacts_days', caches: 'caches_days', workspaces: 'workspaces_days' } as const;

/** A project's retention: its own days where set, the defaults elsewhere. */
export async function projectRetention(db: Db, projectId: string, defaults: Retention = DEFAULT_RETENTION): Promise<Retention> {
  const row = await db.selectFrom('project_retention').selectAll().where('project_id', '=', projectId).executeTakeFirst();
  return {
    artifacts: row?.artifacts_days ?? defaults.artifacts,
    caches: row?.caches_days ?? defaults.caches,
    workspaces: row?.workspaces_days ?? defaults.workspaces,
  };
}

/** Sets some of a project's retention days (null: back to the default). */
export async function setProjectRetention(db: Db, projectId: string, days: Partial<Record<RetentionKind, number | null>>, at: string): Promise<void> {
  const values = {
    artifacts_days: days.artifacts ?? null,
    caches_days: days.caches ?? null,
    workspaces_days: days.workspaces ?? null,
  };
  const changes: Partial<typeof values> = {};
  for (const k of RETENTION_KINDS) if (days[k] !== undefined) changes[COLUMN[k]] = days[k];
  await db
    .insertInto('project_retention')
    .values({ project_id: projectId, ...values, updated_at: at })
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ ...changes, updated_at: at }))
    .execute();
}

/** Projects whose `kind` retention is their own, with its days. */
async function overrides(db: Db, kind: RetentionKind): Promise<{ project_id: string; days: number }[]> {
  const rows = await db.selectFrom('project_retention').select(['project_id', COLUMN[kind]]).where(COLUMN[kind], 'is not', null).execute();
  return rows.map((r) => ({ project_id: r.project_id, days: Number((r as Record<string, unknown>)[COLUMN[kind]]) }));
}

export interface ExpiredOutput {
  kind: RetentionKind;
  /** Row id: artifact or workspace layer id, or `project_id\u0000key` of a cache. */
  id: string;
  blob_key: string;
}

function cutoff(now: Date, days: number): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}

/** Up to `limit` outputs of `kind` older than their project's retention at `now`. */
export async function expiredOutputs(db: Db, kind: RetentionKind, now: Date, limit: number, defaults: Retention = DEFAULT_RETENTION): Promise<ExpiredOutput[]> {
  const own = await overrides(db, kind);
  const groups: { cutoff: string; only?: string; except?: string[] }[] = [{ cutoff: cutoff(now, defaults[kind]), except: own.map((o) => o.project_id) }, ...own.map((o) => ({ cutoff: cutoff(now, o.days), only: o.project_id }))];
  const out: ExpiredOutput[] = [];
  for (const g of groups) {
    const left = limit - out.length;
    if (left <= 0) break;
    if (kind === 'caches') {
      let q = db.selectFrom('caches').select(['project_id', 'key', 'blob_key']).where('created_at', '<', g.cutoff);
      if (g.only) q = q.where('project_id', '=', g.only);
      if (g.except && g.except.length > 0) q = q.where('project_id', 'not in', g.except);
      for (const r of await q.limit(left).execute()) out.push({ kind, id: `${r.project_id}\u0000${r.key}`, blob_key: r.blob_key });
    } else {
      const table = kind === 'artifacts' ? 'artifacts' : 'workspace_layers';
      let q = db
        .selectFrom(table)
        .innerJoin('jobs', 'jobs.id', `${table}.job_id`)
        .select([`${table}.id as id`, `${table}.blob_key as blob_key`])
        .where(`${table}.created_at`, '<', g.cutoff);
      if (g.only) q = q.where('jobs.project_id', '=', g.only);
      if (g.except && g.except.length > 0) q = q.where('jobs.project_id', 'not in', g.except);
      for (const r of await q.limit(left).execute()) out.push({ kind, id: r.id, blob_key: r.blob_key });
    }
  }
  return out;
}

/** Deletes the rows of outputs whose blobs are gone. */
export async function deleteOutputRows(db: Db, rows: ExpiredOutput[]): Promise<void> {
  const ids = (k: RetentionKind) => rows.filter((r) => r.kind === k).map((r) => r.id);
  const artifacts = ids('artifacts');
  if (artifacts.length > 0) await db.deleteFrom('artifacts').where('id', 'in', artifacts).execute();
  const layers = ids('workspaces');
  if (layers.length > 0) await db.deleteFrom('workspace_layers').where('id', 'in', layers).execute();
  for (const c of ids('caches')) {
    const [projectId, key] = c.split('\u0000') as [string, string];
    await db.deleteFrom('caches').where('project_id', '=', projectId).where('key', '=', key).execute();
  }
}

/**
 * Claims this interval's run of the sweep `name`: moves its next run to `next` only if it is
 * due at `now`. One statement, so of several replicas exactly one gets `true` per interval.
 */
export async function claimSweep(db: Db, name: string, now: string, next: string): Promise<boolean> {
  await db.insertInto('sweeps').values({ name, next_run_at: now, last_run_at: null, last_removed: 0 }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const res = await db.updateTable('sweeps').set({ next_run_at: next, last_run_at: now }).where('name', '=', name).where('next_run_at', '<=', now).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function recordSweep(db: Db, name: string, removed: number): Promise<void> {
  await db.updateTable('sweeps').set({ last_removed: removed }).where('name', '=', name).execute();
}
