// Contexts: named sets of sealed environment variables owned by an organization, and the
// restrictions (project, expression) that decide where they may be used.
import { newId, nowIso } from '../domain/clock.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { Db } from './executor.ts';
import type { ContextRestrictionsTable, ContextsTable } from './schema.ts';
import { oldestFirst } from './order.ts';

export type Context = ContextsTable;
export type ContextRestriction = ContextRestrictionsTable;

/** A context variable as listed: the value is never returned. */
export interface ContextEnvVar {
  context_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

/** CircleCI's documented limits. */
export const MAX_CONTEXTS_PER_ORGANIZATION = 500;
export const MAX_ENV_VARS_PER_CONTEXT = 100;

export type CreateContextResult = { ok: true; context: Context } | { ok: false; reason: 'exists' | 'limit' };

/** Creates a context; names are unique per organization. */
export async function createContext(db: Db, organizationId: string, name: string): Promise<CreateContextResult> {
  const count = await db
    .selectFrom('contexts')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  if (Number(count.n) >= MAX_CONTEXTS_PER_ORGANIZATION) return { ok: false, reason: 'limit' };
  const context: Context = { id: newId(), organization_id: organizationId, name, created_at: nowIso() };
  const res = await db
    .insertInto('contexts')
    .values(context)
    .onConflict((oc) => oc.columns(['organization_id', 'name']).doNothing())
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0) return { ok: false, reason: 'exists' };
  return { ok: true, context };
}

export async function getContext(db: Db, id: string): Promise<Context | undefined> {
  return db.selectFrom('contexts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findContextByName(db: Db, organizationId: string, name: string): Promise<Context | undefined> {
  return db.selectFrom('contexts').selectAll().where('organization_id', '=', organizationId).where('name', '=', name).executeTakeFirst();
}

/**
 * A page of an organization's contexts ordered by name (then id), starting after the key
 * `after` = [name, id]. Fetches `limit + 1` rows so the caller can tell whether more follow.
 */
export async function listContexts(db: Db, organizationId: string, limit: number, after?: [string, string]): Promise<Context[]> {
  let q = db.selectFrom('contexts').selectAll().where('organization_id', '=', organizationId);
  if (after) {
    const [name, id] = after;
    q = q.where((eb) => eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('id', '>', id)])]));
  }
  return q.orderBy('name').orderBy('id').limit(limit + 1).execute();
}

/** Deletes a context with its variables and restrictions. */
export async function deleteContext(db: Db, id: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    await tx.deleteFrom('context_env_vars').where('context_id', '=', id).execute();
    await tx.deleteFrom('context_restrictions').where('context_id', '=', id).execute();
    const res = await tx.deleteFrom('contexts').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  });
}

export type PutContextEnvVarResult = { ok: true; envVar: ContextEnvVar; created: boolean } | { ok: false; reason: 'limit' };

/** Creates or replaces a variable; the value is sealed, `created_at` survives updates. */
export async function putContextEnvVar(db: Db, box: SecretBox, contextId: string, name: string, value: string): Promise<PutContextEnvVarResult> {
  const value_sealed = box.seal(value);
  const now = nowIso();
  const existing = await db
    .selectFrom('context_env_vars')
    .select('created_at')
    .where('context_id', '=', contextId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!existing) {
    const count = await db
      .selectFrom('context_env_vars')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('context_id', '=', contextId)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_ENV_VARS_PER_CONTEXT) return { ok: false, reason: 'limit' };
  }
  await db
    .insertInto('context_env_vars')
    .values({ context_id: contextId, name, value_sealed, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['context_id', 'name']).doUpdateSet({ value_sealed, updated_at: now }))
    .execute();
  const row = await db
    .selectFrom('context_env_vars')
    .select(['context_id', 'name', 'created_at', 'updated_at'])
    .where('context_id', '=', contextId)
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return { ok: true, envVar: row, created: !existing };
}

/** A page of a context's variables ordered by name, after `after`. Fetches `limit + 1` rows. */
export async function listContextEnvVars(db: Db, contextId: string, limit: number, after?: string): Promise<ContextEnvVar[]> {
  let q = db.selectFrom('context_env_vars').select(['context_id', 'name', 'created_at', 'updated_at']).where('context_id', '=', contextId);
  if (after !== undefined) q = q.where('name', '>', after);
  return q.orderBy('name').limit(limit + 1).execute();
}

export async function deleteContextEnvVar(db: Db, contextId: string, name: string): Promise<boolean> {
  const res = await db.deleteFrom('context_env_vars').where('context_id', '=', contextId).where('name', '=', name).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export interface NewContextRestriction {
  /** 'project' | 'expression' */
  type: string;
  value: string;
  /** Human-readable reference: the project name for project restrictions. */
  name?: string | null;
}

export type CreateRestrictionResult = { ok: true; restriction: ContextRestriction } | { ok: false; reason: 'exists' };

/** Adds a restriction; the same type and value twice on one context is refused. */
export async function createContextRestriction(db: Db, contextId: string, r: NewContextRestriction): Promise<CreateRestrictionResult> {
  return db.transaction().execute(async (tx) => {
    const dup = await tx
      .selectFrom('context_restrictions')
      .select('id')
      .where('context_id', '=', contextId)
      .where('restriction_type', '=', r.type)
      .where('restriction_value', '=', r.value)
      .executeTakeFirst();
    if (dup) return { ok: false, reason: 'exists' } as const;
    // Restrictions list in the order they were added: keep created_at strictly increasing
    // per context even when two are added within one millisecond.
    const last = await tx
      .selectFrom('context_restrictions')
      .select('created_at')
      .where('context_id', '=', contextId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    let created_at = nowIso();
    if (last && created_at <= last.created_at) created_at = nowIso(new Date(Date.parse(last.created_at) + 1));
    const restriction: ContextRestriction = {
      id: newId(),
      context_id: contextId,
      restriction_type: r.type,
      restriction_value: r.value,
      name: r.name ?? null,
      created_at,
    };
    await tx.insertInto('context_restrictions').values(restriction).execute();
    return { ok: true, restriction } as const;
  });
}

/** All restrictions of a context, in the order they were added. */
export async function listContextRestrictions(db: Db, contextId: string): Promise<ContextRestriction[]> {
  return db.selectFrom('context_restrictions').selectAll().where('context_id', '=', contextId).$call(oldestFirst).execute();
}

export async function getContextRestriction(db: Db, contextId: string, id: string): Promise<ContextRestriction | undefined> {
  return db.selectFrom('context_restrictions').selectAll().where('context_id', '=', contextId).where('id', '=', id).executeTakeFirst();
}

export async function deleteContextRestriction(db: Db, contextId: string, id: string): Promise<boolean> {
  const res = await db.deleteFrom('context_restrictions').where('context_id', '=', contextId).where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/**
 * The decrypted variables of the given contexts, for a job's environment. Contexts are
 * applied in the order given, so on a name clash the later context wins (CircleCI's rule).
 */
export async function contextEnvironment(db: Db, box: SecretBox, contextIds: readonly string[]): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  if (contextIds.length === 0) return env;
  const rows = await db
    .selectFrom('context_env_vars')
    .select(['context_id', 'name', 'value_sealed'])
    .where('context_id', 'in', [...new Set(contextIds)])
    .execute();
  const byContext = new Map<string, { name: string; value_sealed: string }[]>();
  for (const r of rows) {
    const list = byContext.get(r.context_id) ?? [];
    list.push(r);
    byContext.set(r.context_id, list);
  }
  for (const id of contextIds) {
    const list = (byContext.get(id) ?? []).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const r of list) env[r.name] = box.open(r.value_sealed);
  }
  return env;
}

export { membershipRole } from './organizations.ts';
