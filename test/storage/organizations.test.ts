import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/storage/db.ts';
import {
  addMember,
  deleteOrganization,
  ensureOrganization,
  findOrganization,
  getOrganization,
  isMember,
  organizationsOfUser,
} from '../../src/storage/organizations.ts';
import { ensureUser } from '../../src/storage/users.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { useDatabase } from '../helpers/fresh-database.ts';

for (const kind of databaseKinds()) {
  describe(`organizations storage (${kind.name})`, () => {
    let d: Database;
    useDatabase(kind, (database) => {
      d = database;
    });

    it('ensureOrganization creates once per vcs and name, even when raced', async () => {
      const orgs = await Promise.all([ensureOrganization(d.db, 'github', 'acme'), ensureOrganization(d.db, 'github', 'acme'), ensureOrganization(d.db, 'github', 'acme')]);
      expect(new Set(orgs.map((o) => o.id)).size).toBe(1);
      const bb = await ensureOrganization(d.db, 'bitbucket', 'acme');
      expect(bb.id).not.toBe(orgs[0]!.id);
      expect((await findOrganization(d.db, 'github', 'acme'))?.id).toBe(orgs[0]!.id);
      expect((await getOrganization(d.db, bb.id))?.vcs_type).toBe('bitbucket');
      expect(await findOrganization(d.db, 'github', 'nobody')).toBeUndefined();
    });

    it('membership is per organization and idempotent', async () => {
      const org = await ensureOrganization(d.db, 'github', 'members');
      const other = await ensureOrganization(d.db, 'github', 'outsiders');
      const alice = await ensureUser(d.db, 'm-alice');
      await addMember(d.db, org.id, alice.id);
      await addMember(d.db, org.id, alice.id, 'contributor');
      expect(await isMember(d.db, org.id, alice.id)).toBe(true);
      expect(await isMember(d.db, other.id, alice.id)).toBe(false);
      const rows = await d.db.selectFrom('memberships').selectAll().where('user_id', '=', alice.id).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.role).toBe('admin');
    });

    it('organizationsOfUser lists only the orgs the user belongs to, by name', async () => {
      const bob = await ensureUser(d.db, 'm-bob');
      for (const name of ['zeta', 'alpha', 'mid']) await addMember(d.db, (await ensureOrganization(d.db, 'github', name)).id, bob.id);
      await ensureOrganization(d.db, 'github', 'not-bobs');
      expect((await organizationsOfUser(d.db, bob.id)).map((o) => o.name)).toEqual(['alpha', 'mid', 'zeta']);
    });

    it('deleting an organization removes its memberships', async () => {
      const org = await ensureOrganization(d.db, 'github', 'doomed');
      const carol = await ensureUser(d.db, 'm-carol');
      await addMember(d.db, org.id, carol.id);
      await deleteOrganization(d.db, org.id);
      expect(await getOrganization(d.db, org.id)).toBeUndefined();
      expect(await isMember(d.db, org.id, carol.id)).toBe(false);
      expect(await organizationsOfUser(d.db, carol.id)).toEqual([]);
    });
  });
}
