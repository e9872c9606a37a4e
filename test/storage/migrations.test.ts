import { describe, expect, it } from 'vitest';
import { openAndMigrate } from '../../src/storage/db.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { createPostgresDatabase } from '../helpers/databases.ts';

describe.skipIf(!process.env.CIRCLET_TEST_DATABASE_URL)('migrations on PostgreSQL', () => {
  it('two servers migrating one fresh database at once both succeed, each migration applied once', async () => {
    const created = await createPostgresDatabase();
    try {
      const results = await Promise.allSettled([openAndMigrate(created.url), openAndMigrate(created.url)]);
      const opened = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      try {
        expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok']);
        const rows = await opened[0]!.db
          .selectFrom('circlet_migrations' as any)
          .select('name' as any)
          .execute();
        const names = rows.map((r: any) => r.name as string).sort();
        expect(names).toEqual(Object.keys(migrations).sort());
        // Both handles work against the migrated schema.
        for (const db of opened) expect(await db.db.selectFrom('users').select('id').execute()).toEqual([]);
      } finally {
        await Promise.all(opened.map((db) => db.close()));
      }
    } finally {
      await created.drop();
    }
  });
});
