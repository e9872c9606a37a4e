// What the engine needs from the composition root.
import type { CompileOptions, CompileResult, OrbSource } from '../config/index.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { Database } from '../storage/db.ts';
import type { EngineObserver } from './observer.ts';
import { EngineEvents } from './events.ts';
import type { GitMirrors } from './services/git-mirror.ts';
import type { UrlOrbFetcher } from './services/url-orbs.ts';

export interface EngineDeps {
  database: Database;
  secrets: SecretBox;
  /** Git mirrors of project repositories. */
  mirrors: GitMirrors;
  /** Artifacts, caches and workspace layers. */
  blobs: BlobStore;
  orbSource?: OrbSource;
  /** URL orbs, fetched per the organization's allow-list and cached. */
  urlOrbs: UrlOrbFetcher;
  /** Public base URL of the server, for links (CIRCLE_BUILD_URL, webhook payloads). */
  baseUrl: string;
  /** How long a claimed task's lease lasts without a heartbeat. */
  leaseMs: number;
  now(): Date;
  /** 'tasks', 'cancel', 'webhooks', 'job' (events.ts); across replicas on PostgreSQL. */
  events: EngineEvents;
  /** Told of finished jobs and workflows and of claims (metrics); none by default. */
  observer?: EngineObserver;
  /** The compiler a trigger calls: in a worker thread (with its limits), or inline for a local run. */
  compile(source: string, options: CompileOptions): Promise<CompileResult>;
}

export function createEvents(): EngineEvents {
  return new EngineEvents();
}
