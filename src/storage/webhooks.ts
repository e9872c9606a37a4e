// Outbound webhooks of projects: where completed workflows and jobs are reported. The
// signing secret is sealed at rest.
import { newId, nowIso } from '../domain/clock.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import { isPostgres, type Db } from './executor.ts';
import type { WebhooksTable } from './schema.ts';
import { oldestFirst } from './order.ts';

export type WebhookRow = WebhooksTable;

export const WEBHOOK_EVENTS = ['workflow-completed', 'job-completed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** CircleCI's limit of webhooks per project. */
export const MAX_WEBHOOKS_PER_PROJECT = 5;

export interface Webhook {
  id: string;
  project_id: string;
  name: string;
  url: string;
  verify_tls: boolean;
  signing_secret: string;
  events: WebhookEvent[];
  created_at: string;
  updated_at: string;
}

export function openWebhook(secrets: SecretBox, row: WebhookRow): Webhook {
  return {
    id: row.id,
    project_id: row.project_id,
    name: row.name,
    url: row.url,
    verify_tls: Number(row.verify_tls) === 1,
    signing_secret: secrets.open(row.signing_secret_sealed),
    events: JSON.parse(row.events) as WebhookEvent[],
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export interface NewWebhook {
  projectId: string;
  name: string;
  url: string;
  verifyTls: boolean;
  signingSecret: string;
  events: WebhookEvent[];
}

/** Creates a webhook unless the project has its maximum already (checked under a lock on PostgreSQL). */
export async function createWebhook(db: Db, secrets: SecretBox, w: NewWebhook): Promise<{ ok: true; webhook: Webhook } | { ok: false }> {
  return db.transaction().execute(async (trx) => {
    if (isPostgres(db)) await trx.selectFrom('projects').select('id').where('id', '=', w.projectId).forUpdate().execute();
    const count = await trx.selectFrom('webhooks').select((eb) => eb.fn.countAll<string | number>().as('n')).where('project_id', '=', w.projectId).executeTakeFirst();
    if (Number(count?.n ?? 0) >= MAX_WEBHOOKS_PER_PROJECT) return { ok: false as const };
    const now = nowIso();
    const row: WebhookRow = {
      id: newId(),
      project_id: w.projectId,
      name: w.name,
      url: w.url,
      verify_tls: w.verifyTls ? 1 : 0,
      signing_secret_sealed: secrets.seal(w.signingSecret),
      events: JSON.stringify(w.events),
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('webhooks').values(row).execute();
    return { ok: true as const, webhook: openWebhook(secrets, row) };
  });
}

export async function getWebhook(db: Db, secrets: SecretBox, id: string): Promise<Webhook | undefined> {
  const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? openWebhook(secrets, row) : undefined;
}

export async function listWebhooks(db: Db, secrets: SecretBox, projectId: string): Promise<Webhook[]> {
  const rows = await db.selectFrom('webhooks').selectAll().where('project_id', '=', projectId).$call(oldestFirst).execute();
  return rows.map((r) => openWebhook(secrets, r));
}

/** The project's webhooks subscribed to `event`. */
export async function webhooksFor(db: Db, secrets: SecretBox, projectId: string, event: WebhookEvent): Promise<Webhook[]> {
  return (await listWebhooks(db, secrets, projectId)).filter((w) => w.events.includes(event));
}

export interface WebhookChanges {
  name?: string;
  url?: string;
  verifyTls?: boolean;
  signingSecret?: string;
  events?: WebhookEvent[];
}

export async function updateWebhook(db: Db, secrets: SecretBox, id: string, c: WebhookChanges): Promise<Webhook | undefined> {
  const set: Partial<WebhookRow> = { updated_at: nowIso() };
  if (c.name !== undefined) set.name = c.name;
  if (c.url !== undefined) set.url = c.url;
  if (c.verifyTls !== undefined) set.verify_tls = c.verifyTls ? 1 : 0;
  if (c.signingSecret !== undefined) set.signing_secret_sealed = secrets.seal(c.signingSecret);
  if (c.events !== undefined) set.events = JSON.stringify(c.events);
  await db.updateTable('webhooks').set(set).where('id', '=', id).execute();
  return getWebhook(db, secrets, id);
}

export async function deleteWebhook(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// ---- incoming git-forge webhooks ----

/**
 * The secret a project's incoming git-forge webhooks are checked against, made on first
 * use (40 hex characters). Two callers racing both get the one stored.
 */
export async function projectHookSecret(db: Db, secrets: SecretBox, projectId: string, generate: () => string): Promise<string> {
  const read = () => db.selectFrom('project_hook_secrets').select('secret_sealed').where('project_id', '=', projectId).executeTakeFirst();
  let row = await read();
  if (!row) {
    await db
      .insertInto('project_hook_secrets')
      .values({ project_id: projectId, secret_sealed: secrets.seal(generate()), created_at: nowIso() })
      .onConflict((oc) => oc.column('project_id').doNothing())
      .execute();
    row = await read();
  }
  return secrets.open(row!.secret_sealed);
}

/** Replaces a project's incoming-webhook secret. */
export async function rotateProjectHookSecret(db: Db, secrets: SecretBox, projectId: string, secret: string): Promise<void> {
  await db
    .insertInto('project_hook_secrets')
    .values({ project_id: projectId, secret_sealed: secrets.seal(secret), created_at: nowIso() })
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ secret_sealed: secrets.seal(secret), created_at: nowIso() }))
    .execute();
}

/** Projects with their repository URLs, for matching an incoming webhook's repository. */
export async function projectRepositories(db: Db): Promise<{ id: string; vcs_url: string }[]> {
  return db.selectFrom('projects').select(['id', 'vcs_url']).execute();
}
