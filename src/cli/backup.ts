// `circlet backup DIR` and `circlet restore DIR`: a consistent copy of a data dir (safe
// while the server runs) and its restore into a new, empty data dir. docs/operations.md.
import fs from 'node:fs';
import { Command } from 'commander';
import { action, addDataOptions } from './shared.ts';

/** The first line of a passphrase file (no trailing newline); an empty one is an error. */
function readPassphrase(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --passphrase-file ${file}: ${(err as Error).message}`);
  }
  const passphrase = text.split(/\r?\n/)[0] ?? '';
  if (passphrase.length < 8) throw new Error(`--passphrase-file ${file}: the passphrase must be at least 8 characters`);
  return passphrase;
}

const log = (line: string) => process.stderr.write(line + '\n');

export function backupCommand(): Command {
  const cmd = new Command('backup')
    .description('copy the database (SQLite online backup, or pg_dump), the blobs it references and the secret key into DIR, while the server runs')
    .argument('<dir>', 'a new or empty directory for the backup')
    .option('--passphrase-file <file>', 'seal the secret key in the backup with the passphrase on the first line of this file');
  addDataOptions(cmd);
  return cmd.action(
    action(async (dir: string, opts: { passphraseFile?: string; dataDir?: string; databaseUrl?: string }) => {
      const passphrase = readPassphrase(opts.passphraseFile);
      const { backup } = await import('../server/backup.ts');
      const t0 = Date.now();
      const result = await backup(dir, { dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, passphrase, log });
      const m = result.manifest;
      process.stdout.write(`backup written to ${result.dir}: ${m.counts.pipelines} pipelines, ${m.blobs.count} blobs (${m.blobs.bytes} bytes) in ${Date.now() - t0} ms\n`);
      if (result.guidance) process.exitCode = 2; // the database itself still needs dumping
    }),
  );
}

export function restoreCommand(): Command {
  const cmd = new Command('restore')
    .description('restore a backup made by `circlet backup` into a new, empty data dir (and, for PostgreSQL, an empty database)')
    .argument('<dir>', 'the backup directory')
    .option('--passphrase-file <file>', 'the passphrase the secret key was sealed with (backup --passphrase-file)');
  addDataOptions(cmd);
  return cmd.action(
    action(async (dir: string, opts: { passphraseFile?: string; dataDir?: string; databaseUrl?: string }) => {
      const passphrase = readPassphrase(opts.passphraseFile);
      const { resolveDataLocation } = await import('../server/data-dir.ts');
      const { restore } = await import('../server/restore.ts');
      const { dataDir } = resolveDataLocation(opts);
      const databaseUrl = opts.databaseUrl ?? (process.env.DATABASE_URL?.trim() || undefined);
      const t0 = Date.now();
      const m = await restore(dir, { dataDir, databaseUrl, passphrase, log });
      process.stdout.write(`restored ${m.counts.pipelines} pipelines into ${dataDir} in ${Date.now() - t0} ms: start it with \`circlet serve --data-dir ${dataDir}\`\n`);
    }),
  );
}
