// Migration 0014 on both databases: a project that existed before it gets the default
// definition (`.circleci/config.yml`, under the id it was always answered with) and an
// every-event trigger on its forge webhook; a project made afterwards gets the same at creation.
import path from 'node:path';
import { Migrator } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDefinitionId, defaultTriggerId } from '../../src/domain/definition-id.ts';
import { migrate, openDatabase, type Database } from '../../src/storage/db.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import { deleteDefinition, forgeTriggers, getTrigger, listDefinitions, listTriggers } from '../../src/storage/pipeline-definitions.ts';
import { createProject } from '../../src/storage/projects.ts';
import { createPostgresDatabase, tempDir } from '../helpers/databases.ts';

const kinds: { name: string; open(): Promise<{ database: Database; drop(): Promise<void> }> }[] = [
  {
    name: 'sqlite',
    open: async () => ({ database: openDatabase(path.join(tempDir(), 'circlet.db')), drop: async () => {} }),
  },
  ...(process.env.CIRCLET_TEST_DATABASE_URL
    ? [
        {
          name: 'postgres',
          open: async () => {
            const created = await createPostgresDatabase();
            return { database: openDatabase(created.url), drop: created.drop };
          },
        },
      ]
    : []),
];

for (const kind of kinds) {
  describe(`pipeline definitions storage (${kind.name})`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    it('migration 0014 backfills the default definition and trigger of existing projects', async () => {
      const { database, drop } = await kind.open();
      cleanup = async () => {
        await database.close();
        await drop();
      };
      const before = Object.keys(migrations).filter((n) => n < '0014');
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableName: 'circlet_migrations', migrationLockTableName: 'circlet_migrations_lock' });
      const r = await migrator.migrateTo(before[before.length - 1]!);
      expect(r.error).toBeUndefined();
      const at = '2025-06-01T00:00:00.000Z';
      const db = database.db as any;
      await db.insertInto('organizations').values({ id: '11111111-1111-4111-8111-111111111111', vcs_type: 'github', name: 'acme', created_at: at }).execute();
      await db
        .insertInto('projects')
        .values({ id: '22222222-2222-4222-8222-222222222222', organization_id: '11111111-1111-4111-8111-111111111111', name: 'old', vcs_url: '/r', default_branch: 'main', settings: '{}', created_at: at })
        .execute();
      await migrate(database);

      const pid = '22222222-2222-4222-8222-222222222222';
      const defs = await listDefinitions(database.db, pid);
      expect(defs).toEqual([
        expect.objectContaining({ id: defaultDefinitionId(pid), name: 'Default', config_file_path: '.circleci/config.yml', config_provider: 'github_oauth', created_at: at }),
      ]);
      const triggers = await listTriggers(database.db, defs[0]!.id);
      expect(triggers).toEqual([expect.objectContaining({ id: defaultTriggerId(pid), provider: 'github_oauth', event_preset: null, disabled: 0, filters: '{}', parameters: '{}' })]);
      expect((await forgeTriggers(database.db, pid)).map((t) => t.config_file_path)).toEqual(['.circleci/config.yml']);
    });

    it('a new project gets its default; deleting a definition deletes its triggers', async () => {
      const { database, drop } = await kind.open();
      cleanup = async () => {
        await database.close();
        await drop();
      };
      await migrate(database);
      const org = await ensureOrganization(database.db, 'bitbucket', 'acme');
      const p = await createProject(database.db, org, { name: 'new', vcsUrl: '/r' });
      const [d] = await listDefinitions(database.db, p.id);
      expect(d).toMatchObject({ id: defaultDefinitionId(p.id), config_provider: 'bitbucket_oauth' });
      expect(await getTrigger(database.db, p.id, defaultTriggerId(p.id))).toBeDefined();
      expect(await deleteDefinition(database.db, d!.id)).toBe(true);
      expect(await getTrigger(database.db, p.id, defaultTriggerId(p.id))).toBeUndefined();
      expect(await forgeTriggers(database.db, p.id)).toEqual([]);
    });
  });
}
