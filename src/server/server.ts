// The composition root: opens storage, builds the HTTP app, and serves it.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createSecretBox, loadSecretKey } from '../domain/secret-box.ts';
import { buildApp, redactUrl } from '../http/app.ts';
import { openAndMigrate, type Database } from '../storage/db.ts';
import { ensureOrganization, addMember } from '../storage/organizations.ts';
import { createApiToken, ensureUser } from '../storage/users.ts';
import { resolveDataLocation } from './data-dir.ts';

export interface ServeOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  databaseUrl?: string;
  /** pino level; 'silent' for tests. */
  logLevel?: string;
}

export interface RunningServer {
  app: FastifyInstance;
  database: Database;
  url: string;
  dataDir: string;
  /** The admin token, when it was created by this start. */
  adminToken?: string;
  close(): Promise<void>;
}

/**
 * On the first start of a data dir, creates the `admin` user with a token saved to
 * `<dataDir>/admin-token` (mode 0600) and returned once.
 */
async function bootstrapAdmin(database: Database, dataDir: string): Promise<string | undefined> {
  const file = path.join(dataDir, 'admin-token');
  if (fs.existsSync(file)) return undefined;
  const admin = await ensureUser(database, 'admin', 'Administrator');
  const org = await ensureOrganization(database, 'github', 'admin');
  await addMember(database, org.id, admin.id, 'admin');
  const token = await createApiToken(database, admin.id, 'admin (first start)');
  try {
    fs.writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
  return token;
}

export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const { dataDir, databaseUrl } = resolveDataLocation(opts);
  fs.mkdirSync(dataDir, { recursive: true });
  const secrets = createSecretBox(loadSecretKey(dataDir));
  const database = await openAndMigrate(databaseUrl);
  const adminToken = await bootstrapAdmin(database, dataDir);
  const logger = pino({
    level: opts.logLevel ?? process.env.CIRCLET_LOG_LEVEL ?? 'info',
    redact: ['req.headers["circle-token"]', 'req.headers.authorization'],
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: redactUrl(req.url) }),
    },
  }, pino.destination(2));
  const host = opts.host ?? '127.0.0.1';
  const app = await buildApp({ database, secrets }, { logger });
  await app.listen({ host, port: opts.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    app,
    database,
    url,
    dataDir,
    adminToken,
    async close() {
      await app.close();
      await database.close();
    },
  };
}
