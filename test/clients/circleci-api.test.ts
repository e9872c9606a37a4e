// The published v1.1 client `circleci-api` (npm), unmodified, against a running circlet with
// real pipelines behind it: every method it has is called and what it returns is asserted.
// The client reaches circlet through a validating proxy (its documented `circleHost` option),
// so every response it sees is also checked against CircleCI's v1.1 spec.
import { CircleCI, GitType } from 'circleci-api';
import { generateSshKeyPair } from '../../src/domain/ssh-keys.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_CONFIG } from '../conformance/flows.ts';
import { specV1 } from '../conformance/spec.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startValidatingProxy, type ValidatingProxy } from './validating-proxy.ts';
import { runnerTokenFor } from '../helpers/runner.ts';

/**
 * Routes CircleCI's v1.1 reference documents but its OpenAPI document does not (so the
 * validator has no operation for them); circlet serves them as the reference says.
 */
const UNDOCUMENTED = new Set([
  'POST /api/v1.1/user/heroku-key',
  'DELETE /api/v1.1/project/github/acme/app/build-cache',
  'POST /api/v1.1/project/github/acme/app',
  'GET /api/v1.1/project/github/acme/app/tree/main',
]);

for (const kind of databaseKinds()) {
  describe(`circleci-api (v1.1 client) against circlet (${kind.name})`, () => {
    let server: TestServer;
    let proxy: ValidatingProxy;
    let api: CircleCI;
    let agent: ScriptedAgent;

    /** Runs every queued job of the project to success (the "real pipeline" behind the calls). */
    const drive = async () => {
      for (;;) {
        const t = await agent.claim(50);
        if (!t) return;
        await agent.finish(t, 'success');
      }
    };

    beforeAll(async () => {
      server = await startTestServer(kind);
      const { token } = await server.user('alice', 'acme');
      await server.project('gh/acme/app', makeRepo(FLOW_CONFIG).dir);
      agent = new ScriptedAgent({ url: server.url, token: await runnerTokenFor(server.database.db, 'clients', 'conformance/runner'), executors: ['machine'] });
      proxy = await startValidatingProxy(server.url, specV1());
      api = new CircleCI({ token, vcs: { type: GitType.GITHUB, owner: 'acme', repo: 'app' }, circleHost: `${proxy.url}/api/v1.1` });
    });
    afterAll(async () => {
      await proxy?.close();
      await server?.close();
    });

    it('triggerBuild / triggerBuildFor start pipelines and answer their first build', async () => {
      const build = await api.triggerBuild();
      expect(build).toMatchObject({ reponame: 'app', username: 'acme', branch: 'main', status: 'queued' });
      const onBranch = await api.triggerBuildFor('main');
      expect(onBranch.build_num).toBeGreaterThan(build.build_num!);
      await drive();
    });

    it('me, followProject, projects', async () => {
      expect(await api.me()).toMatchObject({ login: 'alice' });
      expect(await api.followProject({ vcs: { owner: 'acme', repo: 'app' } })).toMatchObject({ following: true });
      const projects = await api.projects();
      expect(projects.map((p) => p.reponame)).toContain('app');
    });

    it('recentBuilds, builds, buildsFor, build', async () => {
      const recent = await api.recentBuilds();
      expect(recent.length).toBeGreaterThan(0);
      const builds = await api.builds({ filter: 'successful' } as never);
      expect(builds.length).toBeGreaterThan(0);
      for (const b of builds) expect(b.status).toMatch(/success|fixed/);
      const onMain = await api.buildsFor('main');
      expect(onMain.every((b) => b.branch === 'main')).toBe(true);
      const one = await api.build(builds[0]!.build_num!);
      expect(one).toMatchObject({ build_num: builds[0]!.build_num, reponame: 'app', lifecycle: 'finished' });
      expect(Array.isArray(one.steps)).toBe(true);
    });

    it('artifacts, latestArtifacts, getTestMetadata', async () => {
      const [b] = await api.builds();
      expect(await api.artifacts(b!.build_num!)).toEqual([]);
      expect(await api.latestArtifacts()).toEqual([]);
      expect(await api.getTestMetadata(b!.build_num!)).toMatchObject({ tests: [] });
    });

    it('retry and cancel', async () => {
      const [b] = await api.builds({ filter: 'completed' } as never);
      const retried = await api.retry(b!.build_num!);
      expect(retried.build_num).toBeGreaterThan(b!.build_num!);
      const canceled = await api.cancel(retried.build_num!);
      expect(canceled).toMatchObject({ build_num: retried.build_num, status: 'canceled', canceled: true });
      await drive();
    });

    it('clearCache', async () => {
      expect(await api.clearCache()).toMatchObject({ status: expect.stringContaining('deleted') });
    });

    it('env vars: add, list, get, delete (one store with v2)', async () => {
      expect(await api.addEnvVar({ name: 'FROM_CLIENT', value: 'client-value' })).toEqual({ name: 'FROM_CLIENT', value: 'xxxxalue' });
      const v2 = await server.call('GET', '/api/v2/project/gh/acme/app/envvar/FROM_CLIENT', (await server.user('alice', 'acme')).token);
      expect(v2.body.value).toBe('xxxxalue');
      expect(await api.listEnvVars()).toContainEqual({ name: 'FROM_CLIENT', value: 'xxxxalue' });
      expect(await api.getEnvVar('FROM_CLIENT')).toEqual({ name: 'FROM_CLIENT', value: 'xxxxalue' });
      expect(await api.deleteEnvVar('FROM_CLIENT')).toEqual({ message: 'OK' });
      await expect(api.getEnvVar('FROM_CLIENT')).rejects.toThrow();
    });

    it('checkout keys: add, list, get, delete', async () => {
      const key = (await api.addCheckoutKey('deploy-key' as never)) as unknown as { fingerprint: string; type: string; public_key: string };
      expect(key.type).toBe('deploy-key');
      expect(key.public_key).toMatch(/^ssh-/);
      const list = (await api.listCheckoutKeys()) as unknown as { fingerprint: string }[];
      expect(list.map((k) => k.fingerprint)).toContain(key.fingerprint);
      expect(await api.getCheckoutKey(key.fingerprint)).toMatchObject({ fingerprint: key.fingerprint });
      expect(await api.deleteCheckoutKey(key.fingerprint)).toEqual({ message: 'OK' });
    });

    it('addHerokuKey is accepted; addSSHKey stores an additional SSH key, and refuses what is not one', async () => {
      await expect(api.addHerokuKey({ apikey: 'heroku-key' } as never)).resolves.toBeDefined();
      const pair = generateSshKeyPair();
      await expect(api.addSSHKey({ hostname: 'example.com', private_key: pair.privateKey } as never)).resolves.toBeDefined();
      const stored = await server.database.db.selectFrom('additional_ssh_keys').select(['hostname', 'fingerprint_md5']).execute();
      expect(stored).toContainEqual({ hostname: 'example.com', fingerprint_md5: pair.fingerprintMd5 });
      await expect(api.addSSHKey({ hostname: 'example.com', private_key: 'x' } as never)).rejects.toThrow(/400/);
    });

    it('every response the client saw passes the v1.1 spec (or is a route the spec does not document)', () => {
      expect(proxy.seen.length).toBeGreaterThan(20);
      const wrong = proxy.seen.filter((s) => s.problems.length > 0 && !UNDOCUMENTED.has(`${s.method} ${s.path}`));
      expect(wrong, JSON.stringify(wrong, null, 1)).toEqual([]);
    });
  });
}
