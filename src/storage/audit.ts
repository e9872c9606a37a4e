// The audit log's rows: insert, list newest first (keyset paging), delete past retention.
import type { Db } from './executor.ts';
import type { AuditEventsTable } from './schema.ts';

export type AuditEventRow = AuditEventsTable;

export async function insertAuditEvent(db: Db, row: AuditEventRow): Promise<void> {
  await db.insertInto('audit_events').values(row).execute();
}

export interface AuditQuery {
  /**
   * Only this organization's events, and the user-level events (organization null: sign-ins,
   * personal tokens) whose actor or target user is one of its current members. Undefined: every event.
   */
  organizationId?: string;
  /** Events at or after this ISO time. */
  since?: string;
  limit: number;
  /** The last row of the previous page: [occurred_at, id]. */
  after?: [string, string];
}

/** Events newest first. */
export async function listAuditEvents(db: Db, q: AuditQuery): Promise<AuditEventRow[]> {
  let query = db.selectFrom('audit_events').selectAll();
  const orgId = q.organizationId;
  if (orgId !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('organization_id', '=', orgId),
        eb.and([
          eb('organization_id', 'is', null),
          eb.or([
            eb('actor_id', 'in', eb.selectFrom('memberships').select('user_id').where('organization_id', '=', orgId)),
            eb.and([eb('target_type', '=', 'user'), eb('target_id', 'in', eb.selectFrom('memberships').select('user_id').where('organization_id', '=', orgId))]),
          ]),
        ]),
      ]),
    );
  }
  if (q.since !== undefined) query = query.where('occurred_at', '>=', q.since);
  if (q.after) {
    const [at, id] = q.after;
    query = query.where((eb) => eb.or([eb('occurred_at', '<', at), eb.and([eb('occurred_at', '=', at), eb('id', '<', id)])]));
  }
  return query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
}

/** Deletes events older than `beforeIso`; the number deleted. */
export async function deleteAuditEventsBefore(db: Db, beforeIso: string): Promise<number> {
  const res = await db.deleteFrom('audit_events').where('occurred_at', '<', beforeIso).executeTakeFirst();
  return Number(res.numDeletedRows);
}
