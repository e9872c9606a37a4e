import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pageOf } from '../../src/domain/paging.ts';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { fingerprints } from '../../src/domain/ssh-keys.ts';
import {
  createCheckoutKey,
  deleteCheckoutKey,
  findCheckoutKey,
  listCheckoutKeys,
  listCheckoutKeysPage,
  preferredCheckoutKeyId,
  preferredPrivateKey,
  type CheckoutKey,
} from '../../src/storage/checkout-keys.ts';
import type { Database } from '../../src/storage/db.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import type { Project } from '../../src/storage/projects.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { useDatabase, projectMaker } from '../helpers/fresh-database.ts';

const box = createSecretBox(crypto.randomBytes(32));

for (const kind of databaseKinds()) {
  describe(`checkout keys storage (${kind.name})`, () => {
    let d: Database;
    let newProject: () => Promise<Project>;
    useDatabase(kind, async (database) => {
      d = database;
      const org = await ensureOrganization(d.db, 'github', 'acme');
      newProject = projectMaker(d, org);
    });

    /** A key with a chosen creation time, so order does not depend on the clock. */
    async function keyAt(projectId: string, type: 'deploy-key' | 'user-key', createdAt: string): Promise<CheckoutKey> {
      const k = await createCheckoutKey(d.db, box, projectId, type);
      await d.db.updateTable('checkout_keys').set({ created_at: createdAt }).where('id', '=', k.id).execute();
      return { ...k, created_at: createdAt };
    }

    it('the private key is sealed at rest and opens to an OpenSSH key matching the public one', async () => {
      const p = await newProject();
      const k = await createCheckoutKey(d.db, box, p.id, 'deploy-key');
      expect(k).not.toHaveProperty('private_key_sealed');
      expect(k.public_key).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ /);
      const blob = Buffer.from(k.public_key.split(' ')[1]!, 'base64');
      expect(fingerprints(blob)).toEqual({ md5: k.fingerprint_md5, sha256: k.fingerprint_sha256 });

      const row = await d.db.selectFrom('checkout_keys').selectAll().where('id', '=', k.id).executeTakeFirstOrThrow();
      expect(row.private_key_sealed).not.toContain('PRIVATE KEY');
      const priv = await preferredPrivateKey(d.db, box, p.id);
      expect(priv).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
      expect(row.private_key_sealed).not.toContain(priv!.split('\n')[1]!);
      for (const listed of await listCheckoutKeys(d.db, p.id)) expect(listed).not.toHaveProperty('private_key_sealed');
    });

    it('finds a key by either fingerprint, only in its own project', async () => {
      const p = await newProject();
      const other = await newProject();
      const k = await createCheckoutKey(d.db, box, p.id, 'user-key');
      expect((await findCheckoutKey(d.db, p.id, k.fingerprint_md5))?.id).toBe(k.id);
      expect((await findCheckoutKey(d.db, p.id, k.fingerprint_sha256))?.id).toBe(k.id);
      expect(await findCheckoutKey(d.db, other.id, k.fingerprint_md5)).toBeUndefined();
      expect(await findCheckoutKey(d.db, p.id, 'SHA256:nope')).toBeUndefined();
    });

    it('preferred: the newest user key wins over any deploy key; else the newest deploy key', async () => {
      const p = await newProject();
      expect(await preferredCheckoutKeyId(d.db, p.id)).toBeUndefined();
      expect(await preferredPrivateKey(d.db, box, p.id)).toBeUndefined();
      const d1 = await keyAt(p.id, 'deploy-key', '2024-01-01T00:00:00.000Z');
      const d2 = await keyAt(p.id, 'deploy-key', '2024-01-02T00:00:00.000Z');
      expect(await preferredCheckoutKeyId(d.db, p.id)).toBe(d2.id);
      const u1 = await keyAt(p.id, 'user-key', '2023-06-01T00:00:00.000Z');
      const d3 = await keyAt(p.id, 'deploy-key', '2025-01-01T00:00:00.000Z');
      expect(await preferredCheckoutKeyId(d.db, p.id)).toBe(u1.id);
      const u2 = await keyAt(p.id, 'user-key', '2023-07-01T00:00:00.000Z');
      expect(await preferredCheckoutKeyId(d.db, p.id)).toBe(u2.id);
      await deleteCheckoutKey(d.db, u2.id);
      await deleteCheckoutKey(d.db, u1.id);
      expect(await preferredCheckoutKeyId(d.db, p.id)).toBe(d3.id);
      expect(d1.id).not.toBe(d3.id);
    });

    it('pages newest first, ties broken by id, covering every key once', async () => {
      const p = await newProject();
      const made: CheckoutKey[] = [];
      for (let i = 0; i < 7; i++) made.push(await keyAt(p.id, 'deploy-key', `2024-01-0${1 + (i % 3)}T00:00:00.000Z`));
      const expected = [...made].sort((a, b) => (a.created_at !== b.created_at ? (a.created_at < b.created_at ? 1 : -1) : a.id < b.id ? 1 : -1)).map((k) => k.id);
      expect((await listCheckoutKeys(d.db, p.id)).map((k) => k.id)).toEqual(expected);
      const seen: string[] = [];
      let after: { created_at: string; id: string } | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = pageOf(await listCheckoutKeysPage(d.db, p.id, 2, after), 2, (k) => [k.created_at, k.id]);
        seen.push(...page.items.map((k) => k.id));
        if (!page.next_page_token) break;
        const last = page.items[page.items.length - 1]!;
        after = { created_at: last.created_at, id: last.id };
      }
      expect(seen).toEqual(expected);
    });
  });
}
