import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pageOf } from '../../src/domain/paging.ts';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import type { Database } from '../../src/storage/db.ts';
import { deleteEnvVar, getEnvVar, listEnvVars, putEnvVar } from '../../src/storage/env-vars.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import type { Project } from '../../src/storage/projects.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { useDatabase, projectMaker } from '../helpers/fresh-database.ts';

const box = createSecretBox(crypto.randomBytes(32));

for (const kind of databaseKinds()) {
  describe(`env vars storage (${kind.name})`, () => {
    let d: Database;
    let newProject: () => Promise<Project>;
    useDatabase(kind, async (database) => {
      d = database;
      const org = await ensureOrganization(d.db, 'github', 'acme');
      newProject = projectMaker(d, org);
    });

    it('values are sealed at rest: the column never holds the plaintext', async () => {
      const p = await newProject();
      const secret = 'super-secret-value-1234';
      await putEnvVar(d.db, box, p.id, 'SECRET', secret);
      const row = await d.db.selectFrom('project_env_vars').selectAll().where('project_id', '=', p.id).executeTakeFirstOrThrow();
      for (const value of Object.values(row)) expect(String(value)).not.toContain(secret);
      expect(row.value_sealed).toMatch(/^v1:/);
      expect(box.open(row.value_sealed)).toBe(secret);
      expect((await getEnvVar(d.db, box, p.id, 'SECRET'))?.value).toBe(secret);
    });

    it('putting an existing name replaces its value', async () => {
      const p = await newProject();
      await putEnvVar(d.db, box, p.id, 'X', 'one');
      const replaced = await putEnvVar(d.db, box, p.id, 'X', 'two');
      expect(replaced.value).toBe('two');
      expect((await getEnvVar(d.db, box, p.id, 'X'))?.value).toBe('two');
      expect(await d.db.selectFrom('project_env_vars').select('name').where('project_id', '=', p.id).execute()).toHaveLength(1);
    });

    it('variables belong to their project', async () => {
      const a = await newProject();
      const b = await newProject();
      await putEnvVar(d.db, box, a.id, 'ONLY_A', 'v');
      expect(await getEnvVar(d.db, box, b.id, 'ONLY_A')).toBeUndefined();
      expect(await deleteEnvVar(d.db, b.id, 'ONLY_A')).toBe(false);
      expect(await listEnvVars(d.db, box, b.id, 10)).toEqual([]);
    });

    it('lists by name in keyset pages that cover every variable once', async () => {
      const p = await newProject();
      const names = Array.from({ length: 23 }, (_, i) => `V_${String(i).padStart(2, '0')}`);
      for (const n of [...names].reverse()) await putEnvVar(d.db, box, p.id, n, `value-${n}`);
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const rows = await listEnvVars(d.db, box, p.id, 5, after);
        const page = pageOf(rows, 5, (r) => [r.name]);
        seen.push(...page.items.map((r) => r.name));
        for (const r of page.items) expect(r.value).toBe(`value-${r.name}`);
        if (!page.next_page_token) break;
        after = page.items[page.items.length - 1]!.name;
      }
      expect(seen).toEqual(names);
    });

    it('deletes', async () => {
      const p = await newProject();
      await putEnvVar(d.db, box, p.id, 'GONE', 'v');
      expect(await deleteEnvVar(d.db, p.id, 'GONE')).toBe(true);
      expect(await deleteEnvVar(d.db, p.id, 'GONE')).toBe(false);
      expect(await getEnvVar(d.db, box, p.id, 'GONE')).toBeUndefined();
    });
  });
}
