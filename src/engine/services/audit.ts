// The audit log: the one place security-relevant actions are recorded (HTTP routes, the
// dashboard's sign-in and the CLI call it after acting) and read (the API, `circlet audit`),
// and where old events are swept. An event carries names, never values: `detail` takes only
// short scalar fields, and callers pass names (env var, context, key fingerprint), not secrets.
import { encodePageToken } from '../../domain/paging.ts';
import { newId, nowIso } from '../../domain/clock.ts';
import { deleteAuditEventsBefore, insertAuditEvent, listAuditEvents, type AuditEventRow } from '../../storage/audit.ts';
import type { Db } from '../../storage/executor.ts';

export type AuditAction =
  | 'api_token.created'
  | 'api_token.revoked'
  | 'user.created'
  | 'organization.member_added'
  | 'organization.member_removed'
  | 'project.created'
  | 'project.deleted'
  | 'project.settings_changed'
  | 'env_var.created'
  | 'env_var.deleted'
  | 'context.created'
  | 'context.deleted'
  | 'context.env_var_set'
  | 'context.env_var_deleted'
  | 'context.restriction_created'
  | 'context.restriction_deleted'
  | 'checkout_key.created'
  | 'checkout_key.deleted'
  | 'ssh_key.created'
  | 'ssh_key.deleted'
  | 'runner_token.created'
  | 'runner_token.revoked'
  | 'resource_class.created'
  | 'resource_class.deleted'
  | 'webhook.created'
  | 'webhook.updated'
  | 'webhook.deleted'
  | 'incoming_webhook.secret_rotated'
  | 'schedule.created'
  | 'schedule.updated'
  | 'schedule.deleted'
  | 'dashboard.sign_in'
  | 'dashboard.sign_out';

export type AuditSource = 'api' | 'dashboard' | 'cli' | 'server';

/** Who acted: a user (id and login), or the server itself / an unknown caller (nulls). */
export interface AuditActor {
  id: string | null;
  login: string | null;
  source: AuditSource;
  ip?: string | null;
}

export interface AuditEvent {
  action: AuditAction;
  target: { type: string; id?: string | null; name?: string | null };
  /** The organization the target belongs to; omit for a user-level event. */
  organizationId?: string | null;
  outcome?: 'success' | 'failure';
  /** Names and flags only (never a value, key or token). */
  detail?: Record<string, string | number | boolean | null>;
}

/** The actor for actions of the command line on this machine. */
export function cliActor(login: string | null = null, id: string | null = null): AuditActor {
  return { id, login, source: 'cli' };
}

const MAX_FIELD = 256;
const clip = (s: string | null | undefined): string | null => (s === undefined || s === null ? null : s.length > MAX_FIELD ? s.slice(0, MAX_FIELD) : s);

export function auditRow(actor: AuditActor, event: AuditEvent, now: Date): AuditEventRow {
  const detail: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(event.detail ?? {})) detail[k.slice(0, 64)] = typeof v === 'string' ? clip(v) : v;
  return {
    id: newId(),
    occurred_at: nowIso(now),
    organization_id: event.organizationId ?? null,
    actor_id: actor.id,
    actor_login: clip(actor.login),
    action: event.action,
    target_type: event.target.type,
    target_id: clip(event.target.id),
    target_name: clip(event.target.name),
    outcome: event.outcome ?? 'success',
    source: actor.source,
    ip: clip(actor.ip ?? null),
    detail: JSON.stringify(detail),
  };
}

/** Records one event. */
export async function recordAudit(db: Db, actor: AuditActor, event: AuditEvent, now = new Date()): Promise<void> {
  await insertAuditEvent(db, auditRow(actor, event, now));
}

/** An event as the API and the CLI show it. */
export interface AuditEntry {
  id: string;
  occurred_at: string;
  organization_id: string | null;
  actor: { id: string | null; login: string | null };
  action: string;
  target: { type: string; id: string | null; name: string | null };
  outcome: string;
  source: string;
  ip: string | null;
  detail: Record<string, unknown>;
}

export function auditEntry(row: AuditEventRow): AuditEntry {
  let detail: Record<string, unknown> = {};
  try {
    detail = JSON.parse(row.detail) as Record<string, unknown>;
  } catch {
    /* a damaged row still lists */
  }
  return {
    id: row.id,
    occurred_at: row.occurred_at,
    organization_id: row.organization_id,
    actor: { id: row.actor_id, login: row.actor_login },
    action: row.action,
    target: { type: row.target_type, id: row.target_id, name: row.target_name },
    outcome: row.outcome,
    source: row.source,
    ip: row.ip,
    detail,
  };
}

export interface AuditPageQuery {
  organizationId?: string;
  since?: string;
  limit: number;
  after?: [string, string];
}

/** One page of events, newest first, with the token of the next. */
export async function readAuditLog(db: Db, q: AuditPageQuery): Promise<{ items: AuditEntry[]; next_page_token: string | null }> {
  const rows = await listAuditEvents(db, { ...q, limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { items: page.map(auditEntry), next_page_token: rows.length > q.limit && last ? encodePageToken([last.occurred_at, last.id]) : null };
}

/** Deletes events older than `retentionDays` before `now`; the number deleted. */
export async function sweepAuditLog(db: Db, retentionDays: number, now = new Date()): Promise<number> {
  return deleteAuditEventsBefore(db, nowIso(new Date(now.getTime() - retentionDays * 86_400_000)));
}

/** Default retention: one year. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
