// The composition root: opens storage, builds the HTTP app, and serves it.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createSecretBox, loadSecretKey } from '../domain/secret-box.ts';
import type { Engine } from '../engine/engine.ts';
import type { RateLimitOptions } from '../http/rate-limit.ts';
import { redactUrl } from '../http/app.ts';
import { openAndMigrate, type Database } from '../storage/db.ts';
import { ensureOrganization, addMember } from '../storage/organizations.ts';
import { recordAudit } from '../engine/services/audit.ts';
import { createApiToken, ensureUser } from '../storage/users.ts';
import { resolveDataLocation } from './data-dir.ts';
import { serverOrbSource } from './orb-source.ts';
import { blobConfigFromEnv, openBlobStore } from './blob-config.ts';
import { startServing, type MetricsConfig } from './instance.ts';
import type { BlobStore } from '../storage/blob-store.ts';

export interface ServeOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  databaseUrl?: string;
  /** pino level; 'silent' for tests. */
  logLevel?: string;
  /** Jobs the embedded agent runs at once; 0 = no embedded agent (default 1). */
  agents?: number;
  /** The embedded agent also runs docker jobs, on the host. */
  dockerOnHost?: boolean;
  /** GET /metrics: its token and/or a listener of its own (docs/operations.md). */
  metrics?: MetricsConfig;
  /** Requests per minute per token and per address without one (docs/operations.md); none by default. */
  rateLimit?: RateLimitOptions;
  /** Serve HTTPS with these PEM files (docs/operations.md). */
  tls?: { certFile: string; keyFile: string };
  /** Reverse proxies whose X-Forwarded-* headers are believed (addresses or CIDRs). */
  trustProxy?: string[];
  /** filesystem | postgres | s3 (default: CIRCLET_BLOB_STORE, else the database's; server/blob-config.ts). */
  blobStore?: string;
  /** Days audit events are kept (default 365). */
  auditRetentionDays?: number;
  /** How long a claimed task's lease lasts without a heartbeat (default: the engine's, 30 s). */
  leaseMs?: number;
}

/** The PEM files of --tls-cert/--tls-key, read now, with errors that name the file. */
function readTls(tls: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  const cert = read(tls.certFile, 'certificate');
  const key = read(tls.keyFile, 'key');
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`the TLS certificate ${tls.certFile} is not a PEM certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) throw new Error(`the TLS key ${tls.keyFile} is not a PEM private key`);
  return { cert, key };
}

export interface RunningServer {
  app: FastifyInstance;
  database: Database;
  engine: Engine;
  url: string;
  /** Where the metrics listener serves /metrics, when one was asked for. */
  metricsUrl?: string;
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
  const admin = await ensureUser(database.db, 'admin', 'Administrator');
  const org = await ensureOrganization(database.db, 'github', 'admin');
  await addMember(database.db, org.id, admin.id, 'admin');
  const token = await createApiToken(database.db, admin.id, 'admin (first start)');
  try {
    fs.writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
  const server = { id: null, login: null, source: 'server' } as const;
  await recordAudit(database.db, server, { action: 'user.created', target: { type: 'user', id: admin.id, name: admin.login } });
  await recordAudit(database.db, server, { action: 'organization.member_added', organizationId: org.id, target: { type: 'user', id: admin.id, name: admin.login }, detail: { role: 'admin' } });
  await recordAudit(database.db, server, { action: 'api_token.created', target: { type: 'user', id: admin.id, name: admin.login }, detail: { token_name: 'admin (first start)' } });
  return token;
}

export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const tls = opts.tls ? readTls(opts.tls) : undefined;
  const { dataDir, databaseUrl } = resolveDataLocation(opts);
  fs.mkdirSync(dataDir, { recursive: true });
  const secrets = createSecretBox(loadSecretKey(dataDir));
  const logger = pino(
    {
      level: opts.logLevel ?? process.env.CIRCLET_LOG_LEVEL ?? 'info',
      redact: ['req.headers["circle-token"]', 'req.headers.authorization'],
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: redactUrl(req.url) }),
      },
    },
    pino.destination(2),
  );
  const database = await openAndMigrate(databaseUrl).catch((err: unknown) => {
    const where = databaseUrl.replace(/:[^:@/]*@/, ':***@');
    throw new Error(`cannot open the database ${where}: ${err instanceof Error ? err.message : String(err)}`);
  });
  let blobs: BlobStore;
  try {
    blobs = openBlobStore(blobConfigFromEnv(process.env, opts.blobStore), database, dataDir);
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
  let adminToken: string | undefined;
  const agents = opts.agents ?? 1;
  const serving = await startServing({
    database,
    secrets,
    dataDir,
    orbSource: serverOrbSource(dataDir),
    blobs,
    host: opts.host,
    port: opts.port,
    logger,
    metrics: opts.metrics,
    rateLimit: opts.rateLimit,
    tls,
    trustProxy: opts.trustProxy,
    engine: { auditRetentionDays: opts.auditRetentionDays, ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}) },
    // Only once the port is ours: a start that fails to listen creates no admin token.
    beforeAgent: async () => {
      adminToken = await bootstrapAdmin(database, dataDir);
    },
    agent: agents > 0 ? { concurrency: agents, dockerOnHost: opts.dockerOnHost, logger: logger.child({ component: 'agent' }) } : undefined,
  }).catch((err: unknown) => {
    // A certificate that does not match its key fails when the server is created.
    if (tls && err instanceof Error && /key values mismatch|PEM|asn1|certificate/i.test(err.message)) throw new Error(`cannot serve TLS with ${opts.tls!.certFile} and ${opts.tls!.keyFile}: ${err.message}`);
    throw err;
  });
  return {
    app: serving.app,
    database,
    engine: serving.engine,
    url: serving.url,
    metricsUrl: serving.metricsUrl,
    dataDir,
    adminToken,
    close: () => serving.close(),
  };
}
