import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { fromSegments, parseProjectSlug } from '../../src/domain/slug.ts';
import { createCheckoutKey, listCheckoutKeys } from '../../src/storage/checkout-keys.ts';
import type { Database } from '../../src/storage/db.ts';
import { getEnvVar, putEnvVar } from '../../src/storage/env-vars.ts';
import { ensureOrganization, type Organization } from '../../src/storage/organizations.ts';
import {
  createProject,
  defaultAdvancedSettings,
  deleteProject,
  findProjectBySlug,
  findProjectInOrganization,
  getProject,
  patchProjectSettings,
  projectSettings,
  updateProject,
} from '../../src/storage/projects.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { useDatabase } from '../helpers/fresh-database.ts';

const box = createSecretBox(crypto.randomBytes(32));
const uniq = (p: string) => `${p}-${crypto.randomBytes(3).toString('hex')}`;

for (const kind of databaseKinds()) {
  describe(`projects storage (${kind.name})`, () => {
    let d: Database;
    let gh: Organization;
    let bb: Organization;
    useDatabase(kind, async (database) => {
      d = database;
      gh = await ensureOrganization(d.db, 'github', 'acme');
      bb = await ensureOrganization(d.db, 'bitbucket', 'acme');
    });

    it('creates a project with its org, main as the default branch and default settings', async () => {
      const p = await createProject(d.db, gh, { name: 'created', vcsUrl: 'https://github.com/acme/created' });
      expect(p).toMatchObject({ name: 'created', org_name: 'acme', vcs_type: 'github', default_branch: 'main', organization_id: gh.id });
      expect(await getProject(d.db, p.id)).toEqual(p);
      expect(projectSettings(p)).toEqual({ advanced: defaultAdvancedSettings() });
    });

    it('gh/github, bb/bitbucket and circleci/<org-id>/<project-id> name the same project, raw or %2F-encoded', async () => {
      const g = await createProject(d.db, gh, { name: 'app', vcsUrl: '/repo/app' });
      const b = await createProject(d.db, bb, { name: 'app', vcsUrl: '/repo/bb-app' });
      for (const s of ['gh/acme/app', 'github/acme/app', 'gh%2Facme%2Fapp', 'GitHub%2facme%2fapp', `circleci/${gh.id}/${g.id}`, `circleci%2F${gh.id}%2F${g.id}`]) {
        expect((await findProjectBySlug(d.db, parseProjectSlug(s)!))?.id, s).toBe(g.id);
      }
      for (const s of ['bb/acme/app', 'bitbucket/acme/app', `circleci/${bb.id}/${b.id}`]) {
        expect((await findProjectBySlug(d.db, parseProjectSlug(s)!))?.id, s).toBe(b.id);
      }
      expect((await findProjectBySlug(d.db, fromSegments('gh', 'acme', 'app')!))?.id).toBe(g.id);
    });

    it('slugs that name nothing find nothing', async () => {
      const g = await createProject(d.db, gh, { name: uniq('p'), vcsUrl: '/r' });
      expect(parseProjectSlug('gitlab/acme/app')).toBeUndefined();
      expect(parseProjectSlug('gh/acme')).toBeUndefined();
      for (const s of ['gh/acme/missing', 'gh/other/app', `circleci/${bb.id}/${g.id}`, 'circleci/acme/app', `circleci/${gh.id}/not-a-uuid`]) {
        expect(await findProjectBySlug(d.db, parseProjectSlug(s)!), s).toBeUndefined();
      }
    });

    it('a name is unique within an organization', async () => {
      const name = uniq('dup');
      await createProject(d.db, gh, { name, vcsUrl: '/a' });
      await expect(createProject(d.db, gh, { name, vcsUrl: '/b' })).rejects.toThrow();
      expect((await findProjectInOrganization(d.db, gh.id, name))?.vcs_url).toBe('/a');
      expect(await findProjectInOrganization(d.db, bb.id, name)).toBeUndefined();
    });

    it('settings: patches merge over defaults and survive a reload', async () => {
      const p = await createProject(d.db, gh, { name: uniq('s'), vcsUrl: '/r' });
      const r1 = await patchProjectSettings(d.db, p.id, { build_fork_prs: true });
      const r2 = await patchProjectSettings(d.db, p.id, { set_github_status: false, pr_only_branch_overrides: ['main'] });
      expect(r1?.advanced.build_fork_prs).toBe(true);
      expect(r2?.advanced).toEqual({ ...defaultAdvancedSettings(), build_fork_prs: true, set_github_status: false, pr_only_branch_overrides: ['main'] });
      expect(projectSettings((await getProject(d.db, p.id))!)).toEqual(r2);
      expect(await patchProjectSettings(d.db, crypto.randomUUID(), { oss: true })).toBeUndefined();
    });

    it('settings: concurrent patches of different settings are all kept', async () => {
      const p = await createProject(d.db, gh, { name: uniq('race'), vcsUrl: '/r' });
      await Promise.all([
        patchProjectSettings(d.db, p.id, { oss: true }),
        patchProjectSettings(d.db, p.id, { disable_ssh: true }),
        patchProjectSettings(d.db, p.id, { autocancel_builds: true }),
        patchProjectSettings(d.db, p.id, { forks_receive_secret_env_vars: true }),
      ]);
      expect(projectSettings((await getProject(d.db, p.id))!).advanced).toMatchObject({ oss: true, disable_ssh: true, autocancel_builds: true, forks_receive_secret_env_vars: true });
    });

    it('settings: junk in the stored JSON falls back to defaults', async () => {
      expect(projectSettings({ settings: 'not json' })).toEqual({ advanced: defaultAdvancedSettings() });
      expect(projectSettings({ settings: '{"advanced":{"oss":"yes","disable_ssh":true,"pr_only_branch_overrides":[1]}}' }).advanced).toEqual({
        ...defaultAdvancedSettings(),
        disable_ssh: true,
      });
    });

    it('updateProject changes the repository and branch', async () => {
      const p = await createProject(d.db, gh, { name: uniq('u'), vcsUrl: '/old', defaultBranch: 'master' });
      await updateProject(d.db, p.id, { vcs_url: '/new', default_branch: 'trunk' });
      expect(await getProject(d.db, p.id)).toMatchObject({ vcs_url: '/new', default_branch: 'trunk' });
    });

    it('deleting a project removes its env vars and checkout keys', async () => {
      const p = await createProject(d.db, gh, { name: uniq('del'), vcsUrl: '/r' });
      await putEnvVar(d.db, box, p.id, 'A', 'b');
      await createCheckoutKey(d.db, box, p.id, 'deploy-key');
      await deleteProject(d.db, p.id);
      expect(await getProject(d.db, p.id)).toBeUndefined();
      expect(await getEnvVar(d.db, box, p.id, 'A')).toBeUndefined();
      expect(await listCheckoutKeys(d.db, p.id)).toEqual([]);
    });
  });
}
