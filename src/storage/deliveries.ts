// The outbound webhook delivery queue. A delivery is stored (in the transaction that
// finished the workflow or job) before it is sent; workers on any replica claim due rows
// atomically, so each attempt is made by one worker and a restart loses none.
import { sql } from 'kysely';
import { newId } from '../domain/clock.ts';
import { isPostgres, type Db } from './executor.ts';
import type { WebhookDeliveriesTable } from './schema.ts';

export type Delivery = WebhookDeliveriesTable;

export interface NewDelivery {
  webhookId: string;
  eventId: string;
  eventType: string;
  payload: string;
}

/** Queues a delivery, due at `now`. A second one for the same webhook and event is ignored. */
export async function enqueueDelivery(db: Db, d: NewDelivery, now: string): Promise<void> {
  await db
    .insertInto('webhook_deliveries')
    .values({
      id: newId(),
      webhook_id: d.webhookId,
      event_id: d.eventId,
      event_type: d.eventType,
      payload: d.payload,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      last_status_code: null,
      last_error: null,
      created_at: now,
      updated_at: now,
      delivered_at: null,
    })
    .onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doNothing())
    .execute();
}

/**
 * Claims one due delivery: a pending one whose time has come, or a delivering one whose
 * claim lapsed (its worker died). The claim lasts until `claimUntil`.
 */
export async function claimDelivery(db: Db, now: string, claimUntil: string): Promise<Delivery | undefined> {
  if (isPostgres(db)) {
    const { rows } = await sql<Delivery>`
      update webhook_deliveries set status = 'delivering', attempts = attempts + 1, next_attempt_at = ${claimUntil}, updated_at = ${now}
      where id = (
        select id from webhook_deliveries
        where status in ('pending', 'delivering') and next_attempt_at <= ${now}
        order by next_attempt_at, id limit 1 for update skip locked
      ) and status in ('pending', 'delivering') and next_attempt_at <= ${now}
      returning *`.execute(db);
    return rows[0];
  }
  const pick = db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', 'in', ['pending', 'delivering'])
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(1);
  return db
    .updateTable('webhook_deliveries')
    .set((eb) => ({ status: 'delivering', attempts: eb('attempts', '+', 1), next_attempt_at: claimUntil, updated_at: now }))
    .where('id', '=', (eb) => eb.selectFrom(pick.as('p')).select('p.id'))
    .where('status', 'in', ['pending', 'delivering'])
    .where('next_attempt_at', '<=', now)
    .returningAll()
    .executeTakeFirst();
}

export interface AttemptOutcome {
  /** 'delivered', 'pending' (retry at `nextAttemptAt`) or 'failed' (no attempts left). */
  status: 'delivered' | 'pending' | 'failed';
  statusCode: number | null;
  error: string | null;
  nextAttemptAt: string | null;
}

/** Records an attempt's outcome; only the claim holder (same attempt number) may. */
export async function recordAttempt(db: Db, id: string, attempts: number, o: AttemptOutcome, now: string): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: o.status,
      next_attempt_at: o.nextAttemptAt,
      last_status_code: o.statusCode,
      last_error: o.error,
      updated_at: now,
      ...(o.status === 'delivered' ? { delivered_at: now } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', 'delivering')
    .where('attempts', '=', attempts)
    .execute();
}

/** A webhook's deliveries, newest first. */
export async function listDeliveries(db: Db, webhookId: string, limit: number, before?: [string, string]): Promise<Delivery[]> {
  let q = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
  if (before) q = q.where((eb) => eb.or([eb('created_at', '<', before[0]), eb.and([eb('created_at', '=', before[0]), eb('id', '<', before[1])])]));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
}

/** Deletes finished (delivered or failed) deliveries last updated before `before`; returns how many. */
export async function pruneDeliveries(db: Db, before: string): Promise<number> {
  const r = await db.deleteFrom('webhook_deliveries').where('status', 'in', ['delivered', 'failed']).where('updated_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
