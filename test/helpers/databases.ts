// Runs storage tests on both SQLite and PostgreSQL. The PostgreSQL half needs
// CIRCLET_TEST_DATABASE_URL; each test file gets a fresh database of its own.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openAndMigrate, type Database } from '../../src/storage/db.ts';

export interface TestDatabaseKind {
  name: 'sqlite' | 'postgres';
  /** Makes a fresh, migrated database; drop it with `dispose`. */
  create(): Promise<{ database: Database; url: string; dispose(): Promise<void> }>;
}

const pgUrl = process.env.CIRCLET_TEST_DATABASE_URL;

function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!pgUrl) throw new Error('CIRCLET_TEST_DATABASE_URL is not set');
  const name = `circlet_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabaseName(pgUrl, name),
    async drop() {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Every directory `tempDir` made in this test file's process, removed after the file (test/setup/temp-dirs.ts). */
const madeDirs: string[] = [];

export function tempDir(prefix = 'circlet-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/** Removes what `tempDir` made and the test did not remove itself; returns how many were left. */
export function removeTempDirs(): number {
  let left = 0;
  for (const dir of madeDirs.splice(0)) {
    if (!fs.existsSync(dir)) continue;
    left++;
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      /* a process of the test may still hold it; nothing more to do here */
    }
  }
  return left;
}

const sqlite: TestDatabaseKind = {
  name: 'sqlite',
  async create() {
    const dir = tempDir();
    const url = path.join(dir, 'circlet.db');
    const database = await openAndMigrate(url);
    return {
      database,
      url,
      async dispose() {
        await database.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: TestDatabaseKind = {
  name: 'postgres',
  async create() {
    const created = await createPostgresDatabase();
    const database = await openAndMigrate(created.url);
    return {
      database,
      url: created.url,
      async dispose() {
        await database.close();
        await created.drop();
      },
    };
  },
};

/**
 * The database kinds available here; PostgreSQL is left out without the env var (test/global-setup.ts
 * says so once per run).
 */
export function databaseKinds(): TestDatabaseKind[] {
  return pgUrl ? [sqlite, postgres] : [sqlite];
}
