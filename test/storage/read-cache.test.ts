// The visible-project lookup kept in memory (storage/read-cache.ts): served from memory while
// fresh, forgotten at once by the storage writes that change what it answers.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromSegments } from '../../src/domain/slug.ts';
import type { Database } from '../../src/storage/db.ts';
import { inTransaction } from '../../src/storage/executor.ts';
import { addMember, deleteOrganization, ensureOrganization, removeMember } from '../../src/storage/organizations.ts';
import { createProject, deleteProject, findVisibleProjectBySlug, patchProjectSettings, updateProject } from '../../src/storage/projects.ts';
import { ensureUser } from '../../src/storage/users.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { useDatabase } from '../helpers/fresh-database.ts';

const uniq = (p: string) => `${p}-${crypto.randomBytes(3).toString('hex')}`;

for (const kind of databaseKinds()) {
  describe(`cached visible-project lookups (${kind.name})`, () => {
    let d: Database;
    useDatabase(kind, (database) => {
      d = database;
    });

    async function fixture() {
      const org = await ensureOrganization(d.db, 'github', uniq('org'));
      const user = await ensureUser(d.db, uniq('user'));
      await addMember(d.db, org.id, user.id, 'contributor');
      const project = await createProject(d.db, org, { name: uniq('app'), vcsUrl: '/repo' });
      const slug = fromSegments('gh', org.name, project.name)!;
      return { org, user, project, slug };
    }

    /** Changes the row behind the storage functions' back, as another process would. */
    const renameElsewhere = (id: string, branch: string) => d.db.updateTable('projects').set({ default_branch: branch }).where('id', '=', id).execute();

    it('answers a found project from memory, frozen, and leaves not-found answers uncached', async () => {
      const { user, project, slug, org } = await fixture();
      const first = await findVisibleProjectBySlug(d.db, slug, user.id);
      expect(first?.id).toBe(project.id);
      expect(Object.isFrozen(first)).toBe(true);
      await renameElsewhere(project.id, 'elsewhere');
      expect((await findVisibleProjectBySlug(d.db, slug, user.id))?.default_branch).toBe('main');
      // Inside a transaction the database answers.
      expect(await inTransaction(d.db, async (trx) => (await findVisibleProjectBySlug(trx, slug, user.id))?.default_branch)).toBe('elsewhere');
      // A user who was not a member is let in at once when added.
      const other = await ensureUser(d.db, uniq('other'));
      expect(await findVisibleProjectBySlug(d.db, slug, other.id)).toBeUndefined();
      await addMember(d.db, org.id, other.id);
      expect((await findVisibleProjectBySlug(d.db, slug, other.id))?.id).toBe(project.id);
    });

    it('forgets a project at once when it is deleted, changed or its settings patched', async () => {
      const a = await fixture();
      await findVisibleProjectBySlug(d.db, a.slug, a.user.id);
      await deleteProject(d.db, a.project.id);
      expect(await findVisibleProjectBySlug(d.db, a.slug, a.user.id)).toBeUndefined();

      const b = await fixture();
      await findVisibleProjectBySlug(d.db, b.slug, b.user.id);
      await updateProject(d.db, b.project.id, { default_branch: 'trunk' });
      expect((await findVisibleProjectBySlug(d.db, b.slug, b.user.id))?.default_branch).toBe('trunk');

      await patchProjectSettings(d.db, b.project.id, { oss: true });
      expect(JSON.parse((await findVisibleProjectBySlug(d.db, b.slug, b.user.id))!.settings)).toMatchObject({ advanced: { oss: true } });
    });

    it('forgets a member removed and an organization deleted, also when done in a transaction', async () => {
      const a = await fixture();
      await findVisibleProjectBySlug(d.db, a.slug, a.user.id);
      expect(await removeMember(d.db, a.org.id, a.user.id)).toBe(true);
      expect(await findVisibleProjectBySlug(d.db, a.slug, a.user.id)).toBeUndefined();

      const b = await fixture();
      await findVisibleProjectBySlug(d.db, b.slug, b.user.id);
      await inTransaction(d.db, async (trx) => {
        await deleteOrganization(trx, b.org.id);
        // A read outside the transaction while it is open does not keep what it saw.
        if (kind.name !== 'sqlite') expect((await findVisibleProjectBySlug(d.db, b.slug, b.user.id))?.id).toBe(b.project.id);
      });
      expect(await findVisibleProjectBySlug(d.db, b.slug, b.user.id)).toBeUndefined();
    });
  });
}
