// backup() / restore() on PostgreSQL: pg_dump of a live database, pg_restore into a new empty
// one (a non-empty one refused), sealed values opening with the restored key.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretBox, loadSecretKey } from '../../src/domain/secret-box.ts';
import { backup } from '../../src/server/backup.ts';
import { restore } from '../../src/server/restore.ts';
import { openAndMigrate } from '../../src/storage/db.ts';
import { getEnvVar, putEnvVar } from '../../src/storage/env-vars.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { createPostgresDatabase, tempDir } from '../helpers/databases.ts';

describe.skipIf(!process.env.CIRCLET_TEST_DATABASE_URL)('backup and restore on PostgreSQL', () => {
  it('dumps with pg_dump and restores into an empty database only', async () => {
    const source = await createPostgresDatabase();
    const target = await createPostgresDatabase();
    const dirs = [tempDir(), tempDir(), tempDir()];
    try {
      const [data, out, restoredDir] = dirs as [string, string, string];
      const box = createSecretBox(loadSecretKey(data, {}));
      const db = await openAndMigrate(source.url);
      let projectId: string;
      try {
        const org = await ensureOrganization(db.db, 'github', 'acme');
        projectId = (await createProject(db.db, org, { name: 'app', vcsUrl: '/x', defaultBranch: 'main' })).id;
        await putEnvVar(db.db, box, projectId, 'TOKEN', 'pg-secret-' + crypto.randomBytes(4).toString('hex'));
      } finally {
        await db.close();
      }
      const lines: string[] = [];
      const result = await backup(path.join(out, 'b'), { dataDir: data, databaseUrl: source.url, env: {}, log: (l) => lines.push(l) });
      expect(result.manifest.database).toEqual({ kind: 'postgres', file: 'database.pgdump' });
      expect(result.manifest.migrations).toContain('0013_audit_log');
      expect(fs.statSync(path.join(out, 'b', 'database.pgdump')).size).toBeGreaterThan(0);
      expect(lines.join('\n')).toMatch(/holds the secret key/);

      // The source database is not empty: refused.
      await expect(restore(path.join(out, 'b'), { dataDir: path.join(restoredDir, 'x'), databaseUrl: source.url })).rejects.toThrow(/not empty/);
      await restore(path.join(out, 'b'), { dataDir: path.join(restoredDir, 'd'), databaseUrl: target.url });
      const restored = await openAndMigrate(target.url);
      try {
        const key = loadSecretKey(path.join(restoredDir, 'd'), {});
        const v = await getEnvVar(restored.db, createSecretBox(key), projectId, 'TOKEN');
        expect(v?.value).toMatch(/^pg-secret-/);
      } finally {
        await restored.close();
      }
    } finally {
      await source.drop();
      await target.drop();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
