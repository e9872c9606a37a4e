// Retention: artifacts (30 days), caches and workspace layers (15 days) expire, per project
// where set; the sweep runs on one replica per interval (two engines on one database race
// for it), and removes blobs as well as rows. On both databases, with each one's default
// blob store (files on SQLite, chunked rows on PostgreSQL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, type Instance } from '../../src/server/instance.ts';
import { artifactsOfJob } from '../../src/storage/artifacts.ts';
import { DEFAULT_RETENTION, projectRetention, setProjectRetention } from '../../src/storage/retention.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent, type ClaimedTask } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `
version: 2.1
jobs:
  a: {machine: true, steps: [{run: echo a}]}
workflows:
  w: {jobs: [a]}
`;
const DAY = 86_400_000;
const INTERVAL = 3_600_000;

for (const kind of databaseKinds()) {
  describe(`retention sweeper (${kind.name})`, () => {
    let clock = Date.now();
    const now = () => new Date(clock);
    let server: TestServer;
    let replica: Instance;
    let runnerToken: string;
    let token: string;
    beforeAll(async () => {
      server = await startTestServer(kind, { now, sweepIntervalMs: INTERVAL });
      replica = await createInstance({ database: server.database, secrets: server.secrets, dataDir: server.dataDir, engine: { now, sweepIntervalMs: INTERVAL }, start: false });
      token = (await server.user('alice', 'acme')).token;
      runnerToken = await createRunnerToken(server.database.db, 'test');
      for (const p of ['keep', 'short']) await server.project(`gh/acme/${p}`, makeRepo(CONFIG).dir);
    });
    afterAll(async () => {
      await replica?.close();
      await server?.close();
    });

    const put = (agent: ScriptedAgent, t: ClaimedTask, path: string, body: string) =>
      fetch(`${server.url}/api/runner/v1/tasks/${t.task.id}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-agent': agent.agentId, 'x-circlet-task-credential': t.task.credential, 'content-type': 'application/octet-stream' },
        body,
      });

    async function runJobWithOutputs(project: string): Promise<ClaimedTask> {
      expect((await server.call('POST', `/api/v2/project/gh/acme/${project}/pipeline`, token, {})).status).toBe(201);
      const agent = new ScriptedAgent({ url: server.url, token: runnerToken });
      const t = (await agent.claim(2000))!;
      expect((await put(agent, t, '/artifacts?path=out.txt', 'artifact')).status).toBe(200);
      expect((await put(agent, t, `/caches/blob?key=deps-${project}`, 'cache')).status).toBe(200);
      expect((await put(agent, t, '/workspace', 'layer')).status).toBe(200);
      await agent.finish(t);
      return t;
    }

    it('keeps CircleCI’s default days unless a project sets its own', async () => {
      const p = (await server.project('gh/acme/defaults'))!;
      expect(await projectRetention(server.database.db, p.id)).toEqual(DEFAULT_RETENTION);
      await setProjectRetention(server.database.db, p.id, { artifacts: 3 }, now().toISOString());
      await setProjectRetention(server.database.db, p.id, { caches: 2 }, now().toISOString());
      expect(await projectRetention(server.database.db, p.id)).toEqual({ artifacts: 3, caches: 2, workspaces: 15 });
      await setProjectRetention(server.database.db, p.id, { artifacts: null }, now().toISOString());
      expect((await projectRetention(server.database.db, p.id)).artifacts).toBe(30);
    });

    it('sweeps expired outputs, blobs and rows, once per interval across replicas', async () => {
      const db = server.database.db;
      const keep = await runJobWithOutputs('keep');
      const short = await runJobWithOutputs('short');
      const shortProject = (await db.selectFrom('projects').select('id').where('name', '=', 'short').executeTakeFirstOrThrow()).id;
      await setProjectRetention(db, shortProject, { artifacts: 1 }, now().toISOString());
      const blobKeys = async () => {
        const rows = [
          ...(await db.selectFrom('artifacts').select('blob_key').execute()),
          ...(await db.selectFrom('caches').select('blob_key').execute()),
          ...(await db.selectFrom('workspace_layers').select('blob_key').execute()),
        ];
        return rows.map((r) => r.blob_key);
      };
      const before = await blobKeys();
      expect(before).toHaveLength(6);
      for (const k of before) expect(await server.engine.blobs.get(k)).toBeDefined();

      // Nothing is old yet: the sweep runs (one replica) and removes nothing.
      const first = await Promise.all([server.engine.sweepExpired(), replica.engine.sweepExpired()]);
      expect(first.filter((r) => r.ran)).toHaveLength(1);
      expect(first.reduce((n, r) => n + r.removed, 0)).toBe(0);

      // 16 days on: caches and workspaces are past 15 days; the short project's artifact past 1.
      clock += 16 * DAY;
      const second = await Promise.all([replica.engine.sweepExpired(), server.engine.sweepExpired()]);
      expect(second.filter((r) => r.ran)).toHaveLength(1);
      expect(second.reduce((n, r) => n + r.removed, 0)).toBe(5);
      expect((await artifactsOfJob(db, keep.job.id)).map((a) => a.path)).toEqual(['out.txt']);
      expect(await artifactsOfJob(db, short.job.id)).toEqual([]);
      const after = await blobKeys();
      expect(after).toHaveLength(1);
      for (const k of before.filter((k) => !after.includes(k))) expect(await replica.engine.blobs.get(k)).toBeUndefined();
      const dl = await server.call('GET', `/api/v2/project/gh/acme/keep/${keep.job.number}/artifacts`, token);
      expect(dl.body.items).toHaveLength(1);

      // Within the same interval neither replica sweeps again.
      expect((await Promise.all([server.engine.sweepExpired(), replica.engine.sweepExpired()])).some((r) => r.ran)).toBe(false);

      // Past 30 days the default artifact goes too.
      clock += 15 * DAY;
      const third = await Promise.all([server.engine.sweepExpired(), replica.engine.sweepExpired()]);
      expect(third.filter((r) => r.ran)).toHaveLength(1);
      expect(third.reduce((n, r) => n + r.removed, 0)).toBe(1);
      expect(await blobKeys()).toEqual([]);
    });
  });
}
