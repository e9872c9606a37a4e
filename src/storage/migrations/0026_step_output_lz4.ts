// Step output on PostgreSQL is compressed with lz4 instead of pglz (new rows; old ones stay as
// they are). A step printing fast stores a chunk of a few MiB per request: pglz spent about
// three times lz4's CPU on it (npm run bench:run, log ingest), and the output is written once
// and read seldom. A server built without lz4 (or older than PostgreSQL 14) keeps pglz.
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`do $$ begin
    alter table step_output alter column data set compression lz4;
  exception when feature_not_supported or syntax_error then null;
  end $$`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
