// The set-up storage tests share: one fresh database per describe block.
import crypto from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/storage/db.ts';
import type { Organization } from '../../src/storage/organizations.ts';
import { createProject, type Project } from '../../src/storage/projects.ts';
import type { TestDatabaseKind } from './databases.ts';

/**
 * In a describe block: a fresh, migrated database of `kind` made before the block's tests and
 * handed to `ready` (which may make the block's fixtures), closed and dropped after them.
 */
export function useDatabase(kind: TestDatabaseKind, ready: (database: Database) => void | Promise<void>): void {
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const made = await kind.create();
    dispose = made.dispose;
    await ready(made.database);
  });
  afterAll(async () => {
    await dispose?.();
  });
}

/** Makes a new project of `org` on each call, each with a fresh name. */
export function projectMaker(d: Database, org: Organization): () => Promise<Project> {
  return () => createProject(d.db, org, { name: `p-${crypto.randomBytes(4).toString('hex')}`, vcsUrl: '/r' });
}
