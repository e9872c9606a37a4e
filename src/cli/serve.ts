// `circlet serve`: run the server on the embedded default or a PostgreSQL database.
import { Command, InvalidArgumentError } from 'commander';
import { startServer } from '../server/server.ts';
import { action, addDataOptions } from './shared.ts';

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('start the circlet server (SQLite under ./.circlet by default)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (env PORT; default 8080)', parsePort);
  addDataOptions(cmd);
  cmd.action(
    action(async (opts: { host: string; port?: number; dataDir?: string; databaseUrl?: string }) => {
      const port = opts.port ?? (process.env.PORT ? parsePort(process.env.PORT) : 8080);
      const server = await startServer({ host: opts.host, port, dataDir: opts.dataDir, databaseUrl: opts.databaseUrl });
      process.stdout.write(`circlet listening on ${server.url}\n`);
      if (server.adminToken) {
        process.stdout.write(`admin token (saved to ${server.dataDir}/admin-token): ${server.adminToken}\n`);
      }
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await server.close();
        process.exit(0);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    }),
  );
  return cmd;
}
