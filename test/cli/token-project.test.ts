// `circlet token create` and `circlet project add` as real child processes, run against the
// data of a running `circlet serve` (SQLite in WAL mode, or PostgreSQL).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { startServeOnData, type ServeOnData } from '../helpers/serve-data.ts';
import { waitFor } from '../helpers/wait.ts';
import { READ_CACHE_TTL_MS } from '../../src/storage/read-cache.ts';
import { getJson, killAll, runCli, TOKEN_RE, UUID_RE, type ServeProcess } from './child.ts';

for (const kind of databaseKinds()) {
  describe(`circlet token and project commands (${kind.name})`, () => {
    let s: ServeOnData;
    let dir: string;
    let dbArgs: string[] = [];
    let server: ServeProcess;
    let adminToken: string;
    let bobToken: string;
    let repo: string;

    beforeAll(async () => {
      s = await startServeOnData(kind, 'circlet-cli-');
      ({ dir, dbArgs, server, adminToken } = s);
      repo = tempDir('circlet-repo-');
    });

    afterAll(async () => {
      if (s) expect(await s.stop()).toBe(0);
      killAll();
      if (repo) fs.rmSync(repo, { recursive: true, force: true });
    });

    it('token create prints only a 40-hex token, while the server runs, and the token works against it', async () => {
      const res = await runCli(['token', 'create', '--login', 'bob', '--data-dir', dir, ...dbArgs]);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/^[0-9a-f]{40}\n$/);
      bobToken = res.stdout.trim();
      const me = await getJson(`${server.url}/api/v2/me`, bobToken);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ login: 'bob' });

      // A second token for the same user: another token, same user.
      const again = await runCli(['token', 'create', '--login', 'bob', '--name', 'laptop', '--data-dir', dir, ...dbArgs]);
      expect(again.code).toBe(0);
      const second = again.stdout.trim();
      expect(second).toMatch(TOKEN_RE);
      expect(second).not.toBe(bobToken);
      expect((await getJson(`${server.url}/api/v2/me`, second)).body.id).toBe(me.body.id);
    });

    it('project add prints a UUID, and the owner then sees the project', async () => {
      expect(bobToken).toMatch(TOKEN_RE);
      // A relative --repo is stored as an absolute path.
      const res = await runCli(['project', 'add', 'gh/acme/app', '--repo', path.basename(repo), '--owner', 'bob', '--data-dir', dir, ...dbArgs], {
        cwd: path.dirname(repo),
      });
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
      const id = res.stdout.trim();
      expect(id).toMatch(UUID_RE);

      const collaborations = await getJson(`${server.url}/api/v2/me/collaborations`, bobToken);
      expect(collaborations.status).toBe(200);
      expect(collaborations.body).toEqual(expect.arrayContaining([expect.objectContaining({ slug: 'gh/acme', name: 'acme', 'vcs-type': 'github' })]));

      const project = await getJson(`${server.url}/api/v2/project/gh/acme/app`, bobToken);
      expect(project.status, JSON.stringify(project.body)).toBe(200);
      expect(project.body).toMatchObject({ id, slug: 'gh/acme/app', name: 'app', organization_name: 'acme', vcs_info: { vcs_url: repo, default_branch: 'main' } });

      // Someone outside the organization does not see it.
      expect((await getJson(`${server.url}/api/v2/project/gh/acme/app`, adminToken)).status).toBe(404);
    });

    it('project add refuses a slug that already exists', async () => {
      const res = await runCli(['project', 'add', 'gh/acme/app', '--repo', repo, '--data-dir', dir, ...dbArgs]);
      expect(res.code).not.toBe(0);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/already exists/);
    });

    it('project add without --owner makes the admin user a member: the printed admin token sees it', async () => {
      const res = await runCli(['project', 'add', 'gh/adminorg/app', '--repo', repo, '--data-dir', dir, ...dbArgs]);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      const got = await getJson(`${server.url}/api/v2/project/gh/adminorg/app`, adminToken);
      expect(got.status, JSON.stringify(got.body)).toBe(200);
      expect(got.body).toMatchObject({ id: res.stdout.trim(), slug: 'gh/adminorg/app' });
    });

    it('project add with an unknown --owner is an error that says how to make the user, and adds nothing', async () => {
      const res = await runCli(['project', 'add', 'gh/ghosts/app', '--repo', repo, '--owner', 'nosuchuser', '--data-dir', dir, ...dbArgs]);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toBe("circlet: no user 'nosuchuser': create it first with `circlet token create --login nosuchuser`\n");
      const list = await runCli(['project', 'list', '--data-dir', dir, ...dbArgs]);
      expect(list.stdout).not.toContain('gh/ghosts/app');
      // The user was not made either.
      const again = await runCli(['project', 'member', 'add', 'gh/acme/app', 'nosuchuser', '--data-dir', dir, ...dbArgs]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/no user 'nosuchuser'/);
    });

    it('project member add and remove change who sees the project; project list shows members', async () => {
      expect((await getJson(`${server.url}/api/v2/project/gh/acme/app`, adminToken)).status).toBe(404);
      const add = await runCli(['project', 'member', 'add', 'gh/acme/app', 'admin', '--data-dir', dir, ...dbArgs]);
      expect(add.stderr).toBe('');
      expect(add.stdout).toBe('admin is a member of github/acme\n');
      expect((await getJson(`${server.url}/api/v2/project/gh/acme/app`, adminToken)).status).toBe(200);
      const list = await runCli(['project', 'list', '--data-dir', dir, ...dbArgs]);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(new RegExp(`^gh/acme/app\\t${UUID_RE.source.slice(1, -1)}\\t${repo}\\tmembers: admin,bob$`, 'm'));
      const remove = await runCli(['project', 'member', 'remove', 'gh/acme/app', 'admin', '--data-dir', dir, ...dbArgs]);
      expect(remove.stdout).toBe('admin is no longer a member of github/acme\n');
      // The server remembers a visible project for READ_CACHE_TTL_MS (storage/read-cache.ts); a
      // change made by another process (this CLI) is seen within that time, never later.
      await waitFor(async () => (await getJson(`${server.url}/api/v2/project/gh/acme/app`, adminToken)).status, (s) => s === 404, { timeoutMs: READ_CACHE_TTL_MS + 2_000, everyMs: 100 });
      const twice = await runCli(['project', 'member', 'remove', 'gh/acme/app', 'admin', '--data-dir', dir, ...dbArgs]);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toMatch(/admin is not a member of github\/acme/);
      const missing = await runCli(['project', 'member', 'add', 'gh/acme/nope', 'admin', '--data-dir', dir, ...dbArgs]);
      expect(missing.stderr).toMatch(/no project gh\/acme\/nope: add it with `circlet project add gh\/acme\/nope --repo <url-or-path>`/);
    });

    it('token create and project add read CIRCLET_DATA_DIR and DATABASE_URL', async () => {
      const env: Record<string, string> = { CIRCLET_DATA_DIR: dir };
      if (dbArgs[1]) env.DATABASE_URL = dbArgs[1];
      const token = await runCli(['token', 'create', '--login', 'carol'], { env });
      expect(token.code).toBe(0);
      expect((await getJson(`${server.url}/api/v2/me`, token.stdout.trim())).body).toMatchObject({ login: 'carol' });
      const project = await runCli(['project', 'add', 'bb/carols/lib', '--repo', 'https://bitbucket.org/carols/lib.git', '--default-branch', 'trunk', '--owner', 'carol'], { env });
      expect(project.code).toBe(0);
      expect(project.stdout.trim()).toMatch(UUID_RE);
      const got = await getJson(`${server.url}/api/v2/project/bb/carols/lib`, token.stdout.trim());
      expect(got.status, JSON.stringify(got.body)).toBe(200);
      expect(got.body).toMatchObject({ slug: 'bb/carols/lib', vcs_info: { vcs_url: 'https://bitbucket.org/carols/lib.git', default_branch: 'trunk' } });
    });
  });
}

describe('circlet command line', () => {
  it.each([[[]], [['serve']], [['token']], [['token', 'create']], [['project']], [['project', 'add']], [['project', 'list']], [['project', 'member', 'add']], [['agent']], [['config']], [['runner']]])('%j --help exits 0 and prints usage', async (args) => {
    const res = await runCli([...args, '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^Usage: ${['circlet', ...args].join(' ')} `));
    expect(res.stderr).toBe('');
  });

  const dir = tempDir('circlet-cli-args-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['a slug without a provider', ['project', 'add', 'acme/app', '--repo', '/tmp/r'], /invalid project slug/],
    ['an unknown provider', ['project', 'add', 'gl/acme/app', '--repo', '/tmp/r'], /invalid project slug/],
    ['a circleci/ slug', ['project', 'add', 'circleci/acme/app', '--repo', '/tmp/r'], /invalid project slug/],
    ['too many segments', ['project', 'add', 'gh/acme/app/x', '--repo', '/tmp/r'], /invalid project slug/],
    ['no --repo', ['project', 'add', 'gh/acme/app'], /required option '--repo/],
    ['no slug', ['project', 'add', '--repo', '/tmp/r'], /missing required argument 'slug'/],
    ['no --login', ['token', 'create'], /required option '--login/],
    ['an unknown command', ['tokens'], /unknown command/],
    ['an unknown option', ['token', 'create', '--login', 'x', '--bogus'], /unknown option '--bogus'/],
    ['an unknown option and no --login', ['token', 'create', '--bogus'], /unknown option '--bogus'/],
    ['an unknown option and no --server', ['agent', '--bogus'], /unknown option '--bogus'/],
  ])('%s: message on stderr, nothing on stdout, non-zero exit', async (_what, args, message) => {
    const res = await runCli([...args, '--data-dir', dir]);
    expect(res.code).not.toBe(0);
    expect(res.code).not.toBeNull();
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(message);
  });
});
