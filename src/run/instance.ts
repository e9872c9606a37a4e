// The throw-away circlet instance a local run uses: startServing (the server's engine, HTTP
// app and embedded agent, src/server/instance.ts, as `circlet serve` starts them) over a
// fresh SQLite database in a temp dir, listening on loopback, with the agent running jobs on
// this machine.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { OrbSource } from '../config/index.ts';
import { createSecretBox, type SecretBox } from '../domain/secret-box.ts';
import type { Logger } from '../agent/logger.ts';
import type { Engine } from '../engine/engine.ts';
import type { EmbeddedAgent } from '../server/embedded-agent.ts';
import { startServing } from '../server/instance.ts';
import { FileBlobStore } from '../storage/blob-store.ts';
import type { Database } from '../storage/db.ts';
import { openFromTemplate } from '../storage/schema-template.ts';
import { RoutedBlobStore } from './local-state.ts';

/** What the embedded agent and the in-job helper call: the runner protocol, the job API and checkout over git. */
const AGENT_APIS = ['/api/runner/v1', '/api/runner/v1/job', '/git'] as const;

export interface LocalInstanceOptions {
  /** The run's temp dir: database, mirrors, blobs and the agent's work dir go below it. */
  dataDir: string;
  /** Where cache blobs live (kept across runs). */
  cacheBlobsDir: string;
  /** Where the store's schema template is kept (across runs; storage/schema-template.ts). */
  templateDir: string;
  orbSource: OrbSource;
  /** Jobs run at once. */
  concurrency: number;
  /** Docker jobs run on the host (no engine, or --host). */
  dockerOnHost: boolean;
  logger: Logger;
}

export interface LocalInstance {
  database: Database;
  secrets: SecretBox;
  engine: Engine;
  url: string;
  agent: EmbeddedAgent;
  /** Stops the agent (running jobs get `drainMs`), the engine and the app; closes the database. */
  close(drainMs?: number): Promise<void>;
}

export async function startLocalInstance(opts: LocalInstanceOptions): Promise<LocalInstance> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const secrets = createSecretBox(crypto.randomBytes(32));
  // A copy of a schema built once and kept beside the caches, instead of every migration.
  const database = await openFromTemplate(path.join(opts.dataDir, 'circlet.db'), opts.templateDir);
  const blobs = new RoutedBlobStore(new FileBlobStore(opts.cacheBlobsDir), new FileBlobStore(path.join(opts.dataDir, 'blobs')));
  const serving = await startServing({
    database,
    secrets,
    dataDir: opts.dataDir,
    orbSource: opts.orbSource,
    blobs,
    host: '127.0.0.1',
    port: 0,
    only: AGENT_APIS,
    // The one config is the user's own: no worker threads to start for it.
    engine: { compileInline: true },
    // Every job on the host: `checkout` fetches from the scratch repository itself (the project's
    // URL) instead of through the app's /git, which would start git http-backend per request.
    agent: { concurrency: opts.concurrency, dockerOnHost: opts.dockerOnHost, logger: opts.logger, inProcess: true, checkoutFromOrigin: opts.dockerOnHost },
  });
  return { database, secrets, engine: serving.engine, url: serving.url, agent: serving.agent!, close: (drainMs = 5_000) => serving.close(drainMs) };
}
