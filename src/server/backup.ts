// `circlet backup DIR`: a consistent copy of a data dir while its server runs — the database
// (SQLite's online backup API; pg_dump for PostgreSQL), the blobs the copy references, the
// runner/admin token files and the secret key that opens sealed secrets (plain, or sealed
// with a passphrase). manifest.json is written last: a backup without it is incomplete.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { sealKeyWithPassphrase, type SealedKey } from '../domain/key-seal.ts';
import { createSecretBox, keyFromString } from '../domain/secret-box.ts';
import { appliedMigrations, backupCounts, referencedBlobKeys, snapshotSqlite } from '../storage/backup.ts';
import { isPostgresUrl, openDatabase } from '../storage/db.ts';
import { resolveDataLocation } from './data-dir.ts';

const run = promisify(execFile);

export const MANIFEST = 'manifest.json';
export const BACKUP_FORMAT = 'circlet-backup';
/** Files of the data dir copied as they are (mode 0600). */
export const TOKEN_FILES = ['admin-token', 'agent-token'];

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  version: 1;
  created_at: string;
  database: { kind: 'sqlite'; file: 'circlet.db'; sha256: string } | { kind: 'postgres'; file: 'database.pgdump' | null };
  migrations: string[];
  counts: { pipelines: number; jobs: number; artifacts: number };
  blobs: { count: number; bytes: number; missing: string[] };
  /** 'plain': secret.key; 'passphrase': secret.key.enc (SealedKey JSON). */
  secret_key: 'plain' | 'passphrase';
  /** HMAC of a fixed text under the key: tells a restore it has the right key. */
  key_check: string;
  files: string[];
}

export interface BackupOptions {
  dataDir?: string;
  databaseUrl?: string;
  /** Seal the secret key with this passphrase. */
  passphrase?: string;
  env?: NodeJS.ProcessEnv;
  /** Progress and warnings, one line each. */
  log?: (line: string) => void;
}

export interface BackupResult {
  dir: string;
  manifest: Manifest;
  /** What the operator must do by hand (PostgreSQL without pg_dump). */
  guidance?: string;
}

export const KEY_CHECK_TEXT = 'circlet-backup-key-check';

/** A directory a backup or restore may write into: missing, or empty. */
export function requireEmptyDir(dir: string, what: string): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new Error(`${what} ${dir} is not a directory`);
  const entries = fs.readdirSync(dir);
  if (entries.length > 0) throw new Error(`${what} ${dir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): give a new or empty directory`);
}

/** A blob key as a path inside `root`; undefined for a key that would leave it. */
export function blobPath(root: string, key: string): string | undefined {
  const p = path.resolve(root, key);
  return p.startsWith(path.resolve(root) + path.sep) ? p : undefined;
}

/** The secret key the server uses: CIRCLET_SECRET_KEY, else `<dataDir>/secret.key` (which must exist). */
function currentKey(dataDir: string, env: NodeJS.ProcessEnv): Buffer {
  if (env.CIRCLET_SECRET_KEY) return keyFromString(env.CIRCLET_SECRET_KEY);
  const file = path.join(dataDir, 'secret.key');
  if (!fs.existsSync(file)) throw new Error(`no secret key: ${file} does not exist and CIRCLET_SECRET_KEY is not set (is ${dataDir} a circlet data dir?)`);
  return keyFromString(fs.readFileSync(file, 'utf8').trim());
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file).on('error', reject).on('data', (d) => hash.update(d)).on('end', () => resolve(hash.digest('hex')));
  });
}

/** Copies the referenced blobs, a few at a time; the keys missing from the store are returned. */
async function copyBlobs(from: string, to: string, keys: string[]): Promise<{ bytes: number; missing: string[] }> {
  let bytes = 0;
  const missing: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const src = blobPath(from, key);
      const dst = blobPath(to, key);
      if (!src || !dst) {
        missing.push(key);
        continue;
      }
      try {
        await fs.promises.mkdir(path.dirname(dst), { recursive: true });
        await fs.promises.copyFile(src, dst, fs.constants.COPYFILE_FICLONE);
        bytes += (await fs.promises.stat(dst)).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        missing.push(key); // deleted since the snapshot (an evicted cache)
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { bytes, missing: missing.sort() };
}

export function pgDumpGuidance(url: string, dir: string): string {
  return [
    'pg_dump was not found on PATH: dump the database yourself, into the backup directory, with',
    `  pg_dump --format=custom --file ${path.join(dir, 'database.pgdump')} '${url.replace(/:[^:@/]*@/, ':***@')}'`,
    '(pg_dump of the same major version as the server or newer); restore it with pg_restore --no-owner -d <empty database>.',
  ].join('\n');
}

export async function backup(dir: string, opts: BackupOptions = {}): Promise<BackupResult> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const { dataDir, databaseUrl } = resolveDataLocation(opts, env);
  const target = path.resolve(dir);
  if (target === dataDir || target.startsWith(dataDir + path.sep)) throw new Error(`the backup directory ${target} must be outside the data dir ${dataDir}`);
  requireEmptyDir(target, 'backup directory');
  const key = currentKey(dataDir, env);
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  const files: string[] = [];
  let guidance: string | undefined;

  // 1. The database, as of one moment.
  let databaseEntry: Manifest['database'];
  let snapshotUrl: string;
  if (isPostgresUrl(databaseUrl)) {
    const file = path.join(target, 'database.pgdump');
    try {
      await run('pg_dump', ['--format=custom', '--no-owner', '--file', file, databaseUrl], { maxBuffer: 16 * 1024 * 1024 });
      databaseEntry = { kind: 'postgres', file: 'database.pgdump' };
      files.push('database.pgdump');
      log('database: pg_dump → database.pgdump');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`pg_dump failed: ${String((err as { stderr?: string }).stderr ?? err).trim()}`);
      guidance = pgDumpGuidance(databaseUrl, target);
      databaseEntry = { kind: 'postgres', file: null };
      log(guidance);
    }
    snapshotUrl = databaseUrl; // blobs listed from the live database, after the dump
  } else {
    const file = path.join(target, 'circlet.db');
    await snapshotSqlite(databaseUrl.replace(/^sqlite:(\/\/)?/, ''), file);
    databaseEntry = { kind: 'sqlite', file: 'circlet.db', sha256: '' };
    snapshotUrl = file;
    log('database: SQLite online backup → circlet.db');
  }
  const database = openDatabase(snapshotUrl);
  let migrations: string[];
  let counts: Manifest['counts'];
  let keys: string[];
  try {
    [migrations, counts, keys] = await Promise.all([appliedMigrations(database.db), backupCounts(database.db), referencedBlobKeys(database.db)]);
  } finally {
    await database.close();
  }
  if (databaseEntry.kind === 'sqlite') {
    databaseEntry.sha256 = await sha256File(snapshotUrl);
    files.push('circlet.db');
  }

  // 2. The blobs the snapshot references.
  const blobs = await copyBlobs(path.join(dataDir, 'blobs'), path.join(target, 'blobs'), keys);
  if (blobs.missing.length > 0) log(`warning: ${blobs.missing.length} referenced blob(s) were missing from ${path.join(dataDir, 'blobs')} (listed in manifest.json)`);
  log(`blobs: ${keys.length - blobs.missing.length} (${blobs.bytes} bytes)`);

  // 3. Token files and the secret key.
  for (const name of TOKEN_FILES) {
    const src = path.join(dataDir, name);
    if (fs.existsSync(src)) {
      fs.copyFileSync(src, path.join(target, name));
      fs.chmodSync(path.join(target, name), 0o600);
      files.push(name);
    }
  }
  let secretKey: Manifest['secret_key'];
  if (opts.passphrase !== undefined) {
    const sealed: SealedKey = sealKeyWithPassphrase(key, opts.passphrase);
    fs.writeFileSync(path.join(target, 'secret.key.enc'), JSON.stringify(sealed) + '\n', { mode: 0o600 });
    files.push('secret.key.enc');
    secretKey = 'passphrase';
    log('secret key: sealed with the passphrase (secret.key.enc); the restore needs the same passphrase');
  } else {
    fs.writeFileSync(path.join(target, 'secret.key'), key.toString('hex') + '\n', { mode: 0o600 });
    files.push('secret.key');
    secretKey = 'plain';
    log('warning: the backup holds the secret key (secret.key): whoever reads it can open every stored secret. Keep it like a password, or back up with --passphrase-file');
  }

  const manifest: Manifest = {
    format: BACKUP_FORMAT,
    version: 1,
    created_at: new Date().toISOString(),
    database: databaseEntry,
    migrations,
    counts,
    blobs: { count: keys.length - blobs.missing.length, bytes: blobs.bytes, missing: blobs.missing },
    secret_key: secretKey,
    key_check: createSecretBox(key).mac(KEY_CHECK_TEXT),
    files,
  };
  fs.writeFileSync(path.join(target, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  return { dir: target, manifest, guidance };
}
