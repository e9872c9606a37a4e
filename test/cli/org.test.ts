// `circlet org` as real child processes against the data of a running `circlet serve`: create,
// roles the API enforces, groups, the URL orb allow-list, delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { startServeOnData, type ServeOnData } from '../helpers/serve-data.ts';
import { getJson, killAll, UUID_RE, type ServeProcess } from './child.ts';

for (const kind of databaseKinds()) {
  describe(`circlet org (${kind.name})`, () => {
    let s: ServeOnData;
    let server: ServeProcess;
    let adminToken: string;
    const cli = async (...args: string[]) => s.cli(...args);

    beforeAll(async () => {
      s = await startServeOnData(kind, 'circlet-cli-org-');
      ({ server, adminToken } = s);
    });
    afterAll(async () => {
      if (s) expect(await s.stop()).toBe(0);
      killAll();
    });

    it('creates an organization, sets roles, manages groups and the allow-list, deletes it', async () => {
      const created = await cli('org', 'create', 'platform');
      expect(created.stderr).toBe('');
      const id = created.stdout.trim();
      expect(id).toMatch(UUID_RE);
      expect((await cli('org', 'create', 'platform')).stderr).toMatch(/already exists/);

      const viewer = (await cli('token', 'create', '--login', 'vera')).stdout.trim();
      expect((await cli('org', 'member', 'set', `circleci/${id}`, 'vera', '--role', 'viewer')).stdout).toBe(`vera is a viewer of circleci/${id}\n`);
      expect((await cli('org', 'member', 'set', id, 'vera', '--role', 'boss')).stderr).toMatch(/invalid --role/);
      expect((await cli('org', 'member', 'list', id)).stdout).toBe('admin\tadmin\nvera\tviewer\n');
      // The API enforces the role: a viewer reads, an admin changes.
      expect((await getJson(`${server.url}/api/v2/organizations/${id}/groups`, viewer)).status).toBe(200);

      const group = (await cli('org', 'group', 'create', id, 'releasers', '--description', 'may deploy')).stdout.trim();
      expect(group).toMatch(UUID_RE);
      expect((await cli('org', 'group', 'add-member', id, 'releasers', 'vera')).stdout).toBe('vera is in group releasers\n');
      expect((await cli('org', 'group', 'list', id)).stdout).toBe(`releasers\t${group}\tmembers: vera\n`);
      const api = await getJson(`${server.url}/api/v2/organizations/${id}/groups/${group}`, viewer);
      expect(api.body).toEqual({ id: group, name: 'releasers', description: 'may deploy' });

      const entry = (await cli('org', 'url-orb', 'add', id, 'https://orbs.example.com/team/')).stdout.trim();
      expect(entry).toMatch(UUID_RE);
      expect((await cli('org', 'url-orb', 'add', id, 'ftp://x/')).stderr).toMatch(/invalid prefix/);
      const list = await getJson(`${server.url}/api/v2/organization/${id}/url-orb-allow-list`, adminToken);
      expect(list.body.items).toEqual([{ id: entry, name: 'https://orbs.example.com/team/', prefix: 'https://orbs.example.com/team/', auth: 'none' }]);
      expect((await cli('org', 'url-orb', 'remove', id, entry)).stdout).toBe(`removed ${entry}\n`);

      expect((await cli('org', 'delete', id)).stdout).toBe(`deleted circleci/${id}\n`);
      expect((await getJson(`${server.url}/api/v2/organizations/${id}/groups`, adminToken)).status).toBe(404);
      expect((await cli('org', 'delete', id)).stderr).toMatch(/no organization/);
    });
  });
}
