// Insights: insights_test_jobs (migration 0028) is dropped with its trigger. Test metrics read
// insights_test_runs since migration 0030, so nothing reads it, and its trigger only cost each
// insert of test results a second write.
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS insights_test_jobs_ins ${db.getExecutor().adapter instanceof PostgresAdapter ? sql`ON test_results` : sql``}`.execute(db);
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`DROP FUNCTION IF EXISTS insights_test_jobs_ins()`.execute(db);
  await db.schema.dropTable('insights_test_jobs').ifExists().execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
