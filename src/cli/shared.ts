// Helpers shared by CLI commands: data location options and error reporting.
import os from 'node:os';
import type { Command, Option } from 'commander';
import { recordAudit, type AuditEvent } from '../engine/services/audit.ts';
import { createSecretBox, loadSecretKey, type SecretBox } from '../domain/secret-box.ts';
import { resolveDataLocation } from '../server/data-dir.ts';
import type { Database } from '../storage/db.ts';

export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory (env CIRCLET_DATA_DIR)', undefined)
    .option('--database-url <url>', 'database: a SQLite file path or postgres:// URL (env DATABASE_URL)', undefined);
}

export interface DataHandle {
  database: Database;
  secrets: SecretBox;
  dataDir: string;
}

/** Opens the same data a server started with these options uses (safe while it runs). */
export async function openData(opts: DataOpts): Promise<DataHandle> {
  const { dataDir, databaseUrl } = resolveDataLocation(opts);
  // Loaded on use, not at start-up: `--help` and argument errors need no database driver.
  const { openAndMigrate } = await import('../storage/db.ts');
  const database = await openAndMigrate(databaseUrl);
  return { database, secrets: createSecretBox(loadSecretKey(dataDir)), dataDir };
}

export type DataOpts = { dataDir?: string; databaseUrl?: string };

/** Runs `fn` on the data these options name (openData), closing the database afterwards. */
export async function withData<T>(opts: DataOpts, fn: (d: Database) => Promise<T>): Promise<T> {
  const data = await openData(opts);
  try {
    return await fn(data.database);
  } finally {
    await data.database.close();
  }
}

/** Records an action of the command line in the audit log, with the operating-system user who ran it. */
export async function auditCli(database: Database, event: AuditEvent): Promise<void> {
  let osUser: string | null = null;
  try {
    osUser = os.userInfo().username;
  } catch {
    /* no passwd entry */
  }
  await recordAudit(database.db, { id: null, login: null, source: 'cli' }, { ...event, detail: { ...event.detail, os_user: osUser } });
}

/** Runs a command body, printing errors to stderr with a non-zero exit. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.stderr.write(`circlet: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  };
}

/**
 * Marks options as required, checked after commander's own checks so that an unknown option
 * or a bad value is reported first (commander's `requiredOption` reports a missing option
 * before an unknown one: `token create --bogus` would say "--login not specified").
 */
export function requireOptions(cmd: Command, ...names: string[]): Command {
  const options = names.map((n) => {
    const option = cmd.options.find((o: Option) => o.attributeName() === n);
    if (!option) throw new Error(`no option ${n} on ${cmd.name()}`);
    option.description = option.description ? `${option.description} (required)` : '(required)';
    return option;
  });
  return cmd.hook('preAction', (thisCommand) => {
    for (const option of options) {
      if (thisCommand.getOptionValue(option.attributeName()) === undefined) thisCommand.error(`error: required option '${option.flags}' not specified`);
    }
  });
}
