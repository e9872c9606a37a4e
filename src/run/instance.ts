// The throw-away circlet instance a local run uses: createInstance (the server's engine and
// HTTP app, src/server/instance.ts) over a fresh SQLite database in a temp dir, listening on
// loopback, with the embedded agent running jobs on this machine - the same parts
// `circlet serve` wires together.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { OrbSource } from '../config/index.ts';
import { createSecretBox, type SecretBox } from '../domain/secret-box.ts';
import type { Logger } from '../agent/logger.ts';
import type { Engine } from '../engine/engine.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../server/embedded-agent.ts';
import { createInstance } from '../server/instance.ts';
import { FileBlobStore } from '../storage/blob-store.ts';
import { openAndMigrate, type Database } from '../storage/db.ts';
import { RoutedBlobStore } from './local-state.ts';

/** What the embedded agent and the in-job helper call: the runner protocol, the job API and checkout over git. */
const AGENT_APIS = ['/api/runner/v1', '/api/runner/v1/job', '/git'] as const;

export interface LocalInstanceOptions {
  /** The run's temp dir: database, mirrors, blobs and the agent's work dir go below it. */
  dataDir: string;
  /** Where cache blobs live (kept across runs). */
  cacheBlobsDir: string;
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
  const database = await openAndMigrate(path.join(opts.dataDir, 'circlet.db'));
  const blobs = new RoutedBlobStore(new FileBlobStore(opts.cacheBlobsDir), new FileBlobStore(path.join(opts.dataDir, 'blobs')));
  try {
    const instance = await createInstance({ database, secrets, dataDir: opts.dataDir, orbSource: opts.orbSource, blobs, host: '127.0.0.1', port: 0, only: AGENT_APIS });
    try {
      const agent = await startEmbeddedAgent({ database, url: instance.url, dataDir: opts.dataDir, concurrency: opts.concurrency, dockerOnHost: opts.dockerOnHost, logger: opts.logger, inProcess: true });
      return {
        database,
        secrets,
        engine: instance.engine,
        url: instance.url,
        agent,
        async close(drainMs = 5_000) {
          await agent.stop(drainMs).catch(() => undefined);
          try {
            await instance.close();
          } finally {
            await database.close();
          }
        },
      };
    } catch (err) {
      await instance.close().catch(() => undefined);
      throw err;
    }
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}
