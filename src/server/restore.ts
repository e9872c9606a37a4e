// `circlet restore DIR`: a backup made by `circlet backup` into a new, empty data dir (and,
// for a PostgreSQL backup, an empty database through pg_restore). Checks before it writes:
// the manifest, the database file's checksum, the key (passphrase), the migrations.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { openKeyWithPassphrase, type SealedKey } from '../domain/key-seal.ts';
import { createSecretBox, keyFromString } from '../domain/secret-box.ts';
import { databaseIsEmpty, sqliteIntact } from '../storage/backup.ts';
import { isPostgresUrl, openDatabase } from '../storage/db.ts';
import { migrations as knownMigrations } from '../storage/migrations/index.ts';
import { BACKUP_FORMAT, blobPath, KEY_CHECK_TEXT, MANIFEST, requireEmptyDir, sha256File, TOKEN_FILES, type Manifest } from './backup.ts';

const run = promisify(execFile);

export interface RestoreOptions {
  /** The new data dir (must be missing or empty). */
  dataDir: string;
  /** For a PostgreSQL backup: the empty database to restore into. */
  databaseUrl?: string;
  passphrase?: string;
  log?: (line: string) => void;
}

function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) throw new Error(`${dir} is not a complete circlet backup: it has no ${MANIFEST}`);
  let m: Manifest;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch {
    throw new Error(`${file} is not JSON`);
  }
  if (m.format !== BACKUP_FORMAT || m.version !== 1) throw new Error(`${file} is not a circlet backup manifest of version 1`);
  return m;
}

function keyOf(dir: string, m: Manifest, passphrase: string | undefined): Buffer {
  let key: Buffer;
  if (m.secret_key === 'passphrase') {
    if (passphrase === undefined) throw new Error('this backup’s secret key is sealed with a passphrase: give it with --passphrase-file');
    key = openKeyWithPassphrase(JSON.parse(fs.readFileSync(path.join(dir, 'secret.key.enc'), 'utf8')) as SealedKey, passphrase);
  } else {
    key = keyFromString(fs.readFileSync(path.join(dir, 'secret.key'), 'utf8').trim());
  }
  if (createSecretBox(key).mac(KEY_CHECK_TEXT) !== m.key_check) throw new Error('the secret key in the backup does not match the one it was made with');
  return key;
}

/** Copies every file under `from` to `to`, a few at a time; the number copied. */
async function copyTree(from: string, to: string): Promise<number> {
  if (!fs.existsSync(from)) return 0;
  const files = (await fs.promises.readdir(from, { withFileTypes: true, recursive: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  const dirs = new Set<string>();
  let next = 0;
  let n = 0;
  const worker = async () => {
    while (next < files.length) {
      const src = files[next++]!;
      const dst = blobPath(to, path.relative(from, src));
      if (!dst) continue;
      const parent = path.dirname(dst);
      if (!dirs.has(parent)) {
        await fs.promises.mkdir(parent, { recursive: true });
        dirs.add(parent);
      }
      await fs.promises.copyFile(src, dst, fs.constants.COPYFILE_FICLONE);
      n++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return n;
}

export async function restore(dir: string, opts: RestoreOptions): Promise<Manifest> {
  const log = opts.log ?? (() => undefined);
  const source = path.resolve(dir);
  const m = readManifest(source);
  const unknown = m.migrations.filter((name) => !(name in knownMigrations));
  if (unknown.length > 0) throw new Error(`the backup was made by a newer circlet (its database has migrations this one does not know: ${unknown.join(', ')}): restore it with that version or newer`);
  const dataDir = path.resolve(opts.dataDir);
  requireEmptyDir(dataDir, 'data dir');
  const key = keyOf(source, m, opts.passphrase);

  if (m.database.kind === 'sqlite') {
    if (opts.databaseUrl !== undefined && isPostgresUrl(opts.databaseUrl)) throw new Error('this is a SQLite backup: it restores into a data dir, not a PostgreSQL database');
    const file = path.join(source, 'circlet.db');
    const sum = await sha256File(file);
    if (sum !== m.database.sha256) throw new Error(`${file} does not match its checksum in ${MANIFEST}: the backup is damaged`);
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(file, path.join(dataDir, 'circlet.db'));
    if (!sqliteIntact(path.join(dataDir, 'circlet.db'))) throw new Error('the restored database fails SQLite’s integrity check');
  } else {
    if (!m.database.file) throw new Error('this PostgreSQL backup holds no dump (pg_dump was missing when it was made): restore the dump you made with pg_restore, then run restore again for the blobs and key with --database-url');
    if (!opts.databaseUrl || !isPostgresUrl(opts.databaseUrl)) throw new Error('this is a PostgreSQL backup: give the empty database to restore into with --database-url postgres://…');
    const target = openDatabase(opts.databaseUrl);
    try {
      if (!(await databaseIsEmpty(target.db))) throw new Error('the database to restore into is not empty: create a new one');
    } finally {
      await target.close();
    }
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    try {
      await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', opts.databaseUrl, path.join(source, m.database.file)], { maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`pg_restore was not found on PATH: run pg_restore --no-owner -d <database> ${path.join(source, m.database.file)} yourself`);
      throw new Error(`pg_restore failed: ${String((err as { stderr?: string }).stderr ?? err).trim()}`);
    }
  }
  log(`database: restored (${m.counts.pipelines} pipelines)`);
  const blobs = await copyTree(path.join(source, 'blobs'), path.join(dataDir, 'blobs'));
  log(`blobs: ${blobs}`);
  for (const name of TOKEN_FILES) {
    if (!m.files.includes(name)) continue;
    fs.copyFileSync(path.join(source, name), path.join(dataDir, name));
    fs.chmodSync(path.join(dataDir, name), 0o600);
  }
  fs.writeFileSync(path.join(dataDir, 'secret.key'), key.toString('hex') + '\n', { mode: 0o600 });
  log('secret key: restored to secret.key (a server with CIRCLET_SECRET_KEY set must be given the same key)');
  return m;
}
