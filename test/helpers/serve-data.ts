// A running `circlet serve` (a real child process) on a data dir of its own, SQLite or a
// PostgreSQL database made for it, for tests that run CLI commands against the same data:
// the set-up of the CLI command tests.
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startServe, type CliResult, type ServeProcess } from '../cli/child.ts';
import { createPostgresDatabase, tempDir, type TestDatabaseKind } from './databases.ts';

export interface ServeOnData {
  dir: string;
  /** `--database-url …` on PostgreSQL, nothing on SQLite. */
  dbArgs: string[];
  server: ServeProcess;
  /** The token the first start saved to `<dir>/admin-token`. */
  adminToken: string;
  /** `circlet …args --data-dir dir …dbArgs` */
  cli(...args: string[]): Promise<CliResult>;
  /** Stops the server (resolving with its exit code), drops the database and removes the dir. */
  stop(): Promise<number | null>;
}

export async function startServeOnData(kind: TestDatabaseKind, prefix = 'circlet-cli-'): Promise<ServeOnData> {
  const dir = tempDir(prefix);
  let dbArgs: string[] = [];
  let drop: (() => Promise<void>) | undefined;
  const cleanup = async () => {
    await drop?.();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (kind.name === 'postgres') {
      const pg = await createPostgresDatabase();
      dbArgs = ['--database-url', pg.url];
      drop = pg.drop;
    }
    const server = await startServe(['--port', '0', '--data-dir', dir, ...dbArgs]);
    return {
      dir,
      dbArgs,
      server,
      adminToken: fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim(),
      cli: (...args) => runCli([...args, '--data-dir', dir, ...dbArgs]),
      async stop() {
        try {
          return (await server.stop()).code;
        } finally {
          await cleanup();
        }
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
