// Opens the database: SQLite (better-sqlite3, WAL) by default, PostgreSQL for postgres:// URLs.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect, type MigrationProvider } from 'kysely';
import { SERVER_PREPARED } from './executor.ts';
import { migrations } from './migrations/index.ts';
import { listen, type Listener } from './notify.ts';
import type { Schema } from './schema.ts';

/** pg is loaded only when a PostgreSQL URL is opened: a SQLite server never pays for it. */
const requirePg = (): typeof import('pg') => createRequire(import.meta.url)('pg') as typeof import('pg');

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<Schema>;
  dialect: Dialect;
  /** Human-readable location (file path or URL without password). */
  location: string;
  close(): Promise<void>;
  /** The connection pool's use now (PostgreSQL; SQLite has one connection and no pool). */
  pool?: () => { total: number; idle: number; waiting: number; max: number };
  /** PostgreSQL only: listens on a channel over a connection of its own (storage/notify.ts). */
  listen?(channel: string, onMessage: (payload: string) => void, onGap: () => void): Promise<Listener>;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** Opens `url`: a postgres:// URL, a `sqlite:` / file path, or ':memory:'. */
/** Error codes of a database that cannot be reached or is shutting down (not of a bad query). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN',
  // PostgreSQL: connection exceptions (08), admin/crash shutdown, cannot connect now, too many connections.
  '08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300',
  // SQLite: still locked after busy_timeout.
  'SQLITE_BUSY',
]);

/** True when `err` says the database is unreachable for now (answer 503 and retry), not that a query is wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|connection error|Connection refused/i.test(e.message)) return true;
  return Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x));
}

export function openDatabase(url: string): Database {
  if (isPostgresUrl(url)) {
    // JIT off for circlet's connections (unless the URL sets options of its own): its queries
    // are short index lookups, but a plan whose cost is overestimated (a table whose statistics
    // lag behind a bulk of new rows) passes jit_above_cost and spends ~10 ms compiling a query
    // that runs in 0.5 ms (Insights test metrics at 100k runs: 14.5 ms CPU a call, not 5).
    const jit = /[?&]options=/.test(url) ? {} : { options: '-c jit=off' };
    const pool = new (requirePg().Pool)({ connectionString: url, max: 10, ...jit });
    pool.on('error', () => {
      /* idle client errors surface on the next query */
    });
    pool.on('connect', (client) => preparingStatements(client));
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    const Client = requirePg().Client;
    return {
      db,
      dialect: 'postgres',
      location: url.replace(/:[^:@/]*@/, ':***@'),
      close: () => db.destroy(),
      pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: 10 }),
      listen: (channel, onMessage, onGap) => listen(() => new Client({ connectionString: url }), channel, onMessage, onGap),
    };
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Sqlite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', location: file, close: () => db.destroy() };
}

/**
 * Statements marked SERVER_PREPARED (executor.ts) go to PostgreSQL as named statements: pg
 * parses and plans them once per connection and then only binds and executes them (after a
 * few runs PostgreSQL keeps a generic plan). The name is the text's hash, so a name never
 * stands for two texts. Everything else is sent as before (unnamed, planned each time).
 */
function preparingStatements(client: import('pg').PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const names = new Map<string, string>();
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (args.length <= 2 && typeof text === 'string' && text.startsWith(SERVER_PREPARED) && (values === undefined || Array.isArray(values))) {
      let name = names.get(text);
      if (name === undefined) names.set(text, (name = `circlet_${crypto.createHash('sha1').update(text).digest('hex').slice(0, 20)}`));
      return query({ name, text, values });
    }
    return query(...args);
  };
}

/**
 * Kysely prepares a statement for every query; preparing costs more than running most of
 * ours. Statements are kept by their SQL text (a small LRU) and reused unless one is still
 * iterating.
 */
export function withStatementCache(sqlite: Sqlite.Database, size = 512) {
  const cache = new Map<string, Sqlite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): Sqlite.Statement {
      const hit = cache.get(sql);
      if (hit && !hit.busy) {
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = sqlite.prepare(sql);
      if (!hit) {
        cache.set(sql, stmt);
        if (cache.size > size) cache.delete(cache.keys().next().value!);
      }
      return stmt;
    },
  };
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Migration numbers are handed out to branches developed side by side, so a database may
 * have run a higher-numbered migration before a lower-numbered one lands (0020 before 0013):
 * the missing one is applied then, instead of the migrator refusing the database.
 */
function migratorOptions(database: Database) {
  return { db: database.db, provider, migrationTableName: 'circlet_migrations', migrationLockTableName: 'circlet_migrations_lock', allowUnorderedMigrations: true };
}

/**
 * Applies pending migrations. Kysely's migrator takes a lock first (a PostgreSQL advisory
 * lock inside a transaction; SQLite's single writer), so two servers starting together
 * on one database never both migrate. Numbers are handed out ahead of landing, so a lower
 * number may land after a higher one has run: such a migration is applied, not refused.
 */
export async function migrate(database: Database): Promise<void> {
  const unknown = (await appliedMigrationNames(database)).filter((name) => !(name in migrations));
  if (unknown.length > 0) throw new NewerDatabaseError(database.location, unknown);
  const migrator = new Migrator(migratorOptions(database));
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const what = failed ? `database migration ${failed.migrationName}` : 'database migration';
    throw new Error(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Applies only the migrations named (those not applied yet): a database as an older circlet
 * left it. The upgrade tests build one this way (migrations are append-only, so a landed
 * migration is what the older version ran).
 */
export async function migrateOnly(database: Database, names: string[]): Promise<void> {
  const only: Record<string, (typeof migrations)[string]> = {};
  for (const name of names) {
    if (!(name in migrations)) throw new Error(`no migration ${name}`);
    only[name] = migrations[name]!;
  }
  const migrator = new Migrator({ ...migratorOptions(database), provider: { getMigrations: async () => only } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/** The database was migrated by a newer circlet: this one must not run on it. */
export class NewerDatabaseError extends Error {
  constructor(
    readonly location: string,
    readonly unknownMigrations: string[],
  ) {
    const latest = Object.keys(migrations).at(-1);
    super(
      `the database ${location} is newer than this circlet: it has migration(s) ${unknownMigrations.join(', ')}, which this version (latest migration ${latest}) does not know. ` +
        'Run the circlet version that migrated it (or a newer one); circlet migrations are forward-only, so downgrading needs a backup made before the upgrade (circlet restore).',
    );
    this.name = 'NewerDatabaseError';
  }
}

/** The migrations recorded in the database; none for a new database. */
async function appliedMigrationNames(database: Database): Promise<string[]> {
  const exists =
    database.dialect === 'postgres'
      ? (await sql<{ t: string | null }>`select to_regclass('circlet_migrations')::text as t`.execute(database.db)).rows[0]?.t
      : (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name = 'circlet_migrations'`.execute(database.db)).rows[0];
  if (!exists) return [];
  const { rows } = await sql<{ name: string }>`select name from circlet_migrations order by name`.execute(database.db);
  return rows.map((r) => r.name);
}

export async function openAndMigrate(url: string): Promise<Database> {
  const database = openDatabase(url);
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
