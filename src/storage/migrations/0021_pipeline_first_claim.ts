// When a pipeline's first task was claimed (the trigger → first-claim latency metric). The
// metric counted the pipeline's started tasks after every claim: a query growing with the
// pipeline (a pipeline of 6,000 tasks made each HTTP claim cost 10 ms of SQLite and tied up
// PostgreSQL connections). Now the claim sets this once, with a guarded update of one row,
// and the claim that set it is the first.
// Also the queued docker tasks, for the agents without docker that ask for them on each poll
// (engine/runner/claims.ts noteJobsWaitingForDocker): a scan of the whole queue before.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pipelines').addColumn('first_claim_at', 'text').execute();
  await db.schema.createIndex('tasks_queued_docker').on('tasks').column('job_id').where(sql.ref('status'), '=', sql.lit('queued')).where(sql.ref('executor'), '=', sql.lit('docker')).execute();
  // Pipelines that already ran something: their first claim is behind them.
  await sql`UPDATE pipelines SET first_claim_at = (
    SELECT min(t.started_at) FROM jobs j JOIN tasks t ON t.job_id = j.id WHERE j.pipeline_id = pipelines.id AND t.started_at IS NOT NULL
  ) WHERE EXISTS (SELECT 1 FROM jobs j JOIN tasks t ON t.job_id = j.id WHERE j.pipeline_id = pipelines.id AND t.started_at IS NOT NULL)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
