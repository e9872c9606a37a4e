// What the engine needs from the composition root.
import { EventEmitter } from 'node:events';
import type { OrbSource } from '../config/index.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { Database } from '../storage/db.ts';
import type { EngineObserver } from './observer.ts';
import type { GitMirrors } from './services/git-mirror.ts';

export interface EngineDeps {
  database: Database;
  secrets: SecretBox;
  mirrors: GitMirrors;
  /** Artifacts, caches and workspace layers. */
  blobs: BlobStore;
  orbSource?: OrbSource;
  /** Public base URL for links (CIRCLE_BUILD_URL ...). */
  baseUrl: string;
  /** How long a claimed task's lease lasts without a heartbeat. */
  leaseMs: number;
  now(): Date;
  /** Emits 'tasks' when new tasks are queued and 'cancel' when a running task should stop. */
  events: EventEmitter;
  /** Told of finished jobs and workflows and of claims (metrics); none by default. */
  observer?: EngineObserver;
}

export function createEvents(): EventEmitter {
  const e = new EventEmitter();
  e.setMaxListeners(0);
  return e;
}
