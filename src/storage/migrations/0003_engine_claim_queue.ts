// The claim queue: a partial index over queued tasks in claim order, so a claim walks the
// oldest queued tasks first (filtering executor and resource class as it goes) instead of
// sorting every queued task on each claim.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('tasks_claim_queue').on('tasks').columns(['queued_at', 'id']).where(sql.ref('status'), '=', sql.lit('queued')).execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
