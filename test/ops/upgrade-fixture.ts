// The stored upgrade fixture (test/fixtures/upgrade/, made by scripts/make-upgrade-fixture.sh):
// what an old circlet wrote, and how its answers are compared with today's.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { UPGRADE_DIR } from '../fixtures/index.ts';
import { sql } from 'kysely';
import type { Database } from '../../src/storage/db.ts';

export const FIXTURE_DIR = UPGRADE_DIR;

export interface RecordedAnswer {
  path: string;
  as: 'alice' | 'bob' | 'admin';
  status: number;
  body: unknown;
}

export interface Fixture {
  commit: string;
  kind: 'sqlite' | 'postgres';
  /** The old server's own URL (in links it answered with). */
  url: string;
  capturedAt: string;
  tokens: { alice: string; bob: string; admin: string; runner: string };
  /** Rows per table of the old schema, counted when the fixture was made. */
  tables: Record<string, number>;
  answers: RecordedAnswer[];
  /** What the artifact and step-output links in those answers served (URL normalised: ORIGIN, SIGNED). */
  downloads: { url: string; status: number; body: string }[];
}

/** The artifact and step-output links in an answer. */
export function downloadLinks(body: unknown): string[] {
  return [...JSON.stringify(body).matchAll(/"(http:\/\/127\.0\.0\.1:\d+\/api\/(?:v2\/output\/job|v1\.1\/step-output)\/[^"]+)"/g)].map((m) => m[1]!);
}

export function readFixture(kind: 'sqlite' | 'postgres'): Fixture {
  return JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, kind, 'answers.json'), 'utf8')) as Fixture;
}

/** Tables and their row counts in the stored database itself (not the counts recorded beside it). */
export function storedTableCounts(kind: 'sqlite' | 'postgres'): Record<string, number> {
  const counts: Record<string, number> = {};
  if (kind === 'sqlite') {
    const db = new Sqlite(path.join(FIXTURE_DIR, 'sqlite', 'circlet.db'), { readonly: true, fileMustExist: true });
    try {
      const names = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as { name: string }[];
      for (const { name } of names) counts[name] = (db.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n;
    } finally {
      db.close();
    }
    return counts;
  }
  // pg_dump's plain format: `CREATE TABLE public.t (` and `COPY public.t (…) FROM stdin;` …
  // rows … `\.`.
  const dump = fs.readFileSync(path.join(FIXTURE_DIR, 'postgres', 'circlet.sql'), 'utf8');
  for (const m of dump.matchAll(/^CREATE TABLE public\.(\w+) \(/gm)) counts[m[1]!] = 0;
  for (const m of dump.matchAll(/^COPY public\.(\w+) \([^)]*\) FROM stdin;\n([\s\S]*?)^\\\.$/gm)) counts[m[1]!] = m[2]!.split('\n').filter((l) => l !== '').length;
  return counts;
}

/** Loads the PostgreSQL dump into an empty database. */
export function restorePostgresDump(url: string): void {
  execFileSync('psql', ['--quiet', '--no-psqlrc', '-v', 'ON_ERROR_STOP=1', '--dbname', url, '--file', path.join(FIXTURE_DIR, 'postgres', 'circlet.sql')], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Copies what the old server kept beside its database into a new data dir. */
export function copyDataDir(kind: 'sqlite' | 'postgres', dataDir: string, fixture: Fixture): void {
  const from = path.join(FIXTURE_DIR, kind);
  fs.cpSync(path.join(from, 'blobs'), path.join(dataDir, 'blobs'), { recursive: true });
  fs.copyFileSync(path.join(from, 'secret.key'), path.join(dataDir, 'secret.key'));
  fs.chmodSync(path.join(dataDir, 'secret.key'), 0o600);
  // The admin's token file: its presence tells the server the first start happened.
  fs.writeFileSync(path.join(dataDir, 'admin-token'), fixture.tokens.admin + '\n', { mode: 0o600 });
  if (kind === 'sqlite') fs.copyFileSync(path.join(from, 'circlet.db'), path.join(dataDir, 'circlet.db'));
}

/** Rows per table in an open database (migration bookkeeping left out). */
export async function tableRowCounts(database: Database): Promise<Record<string, number>> {
  const names =
    database.dialect === 'postgres'
      ? (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(database.db)).rows
      : (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(database.db)).rows;
  const counts: Record<string, number> = {};
  for (const { name } of names) counts[name] = Number((await sql<{ n: number | string }>`select count(*) as n from ${sql.table(name)}`.execute(database.db)).rows[0]!.n);
  return counts;
}
