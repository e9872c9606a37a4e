// The retention sweeper on the chunked-row blob store (the PostgreSQL default; run on SQLite
// too): an expired artifact, cache and workspace layer take their blob_objects row and every
// blob_chunks row with them; a blob still within its retention keeps all its chunks (and
// reads back whole); chunks of an upload cut off by a crash are swept once a day old, while an
// upload still in flight keeps its chunks.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { createInstance, type Instance } from '../../src/server/instance.ts';
import { DbBlobStore } from '../../src/storage/blob-store-db.ts';
import type { Database } from '../../src/storage/db.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { setProjectRetention } from '../../src/storage/retention.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { createApiToken, ensureUser } from '../../src/storage/users.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent, type ClaimedTask } from '../helpers/scripted-agent.ts';

const CONFIG = 'version: 2.1\njobs:\n  a: {machine: true, steps: [{run: echo a}]}\nworkflows:\n  w: {jobs: [a]}\n';
const DAY = 86_400_000;
const CHUNK = 64;

for (const kind of databaseKinds()) {
  describe(`retention sweep on the chunked-row blob store (${kind.name})`, () => {
    let clock = Date.now();
    const now = () => new Date(clock);
    let database: Database;
    let dispose: () => Promise<void>;
    let instance: Instance;
    let blobs: DbBlobStore;
    let token: string;
    let runnerToken: string;
    const dirs: string[] = [];

    beforeAll(async () => {
      ({ database, dispose } = await kind.create());
      const dataDir = tempDir('circlet-chunks-');
      dirs.push(dataDir);
      blobs = new DbBlobStore(database.db, CHUNK, kind.name);
      instance = await createInstance({ database, secrets: createSecretBox(crypto.randomBytes(32)), dataDir, blobs, engine: { now, sweepIntervalMs: 3_600_000 } });
      const db = database.db;
      const user = await ensureUser(db, 'alice');
      const org = await ensureOrganization(db, 'github', 'acme');
      await addMember(db, org.id, user.id);
      token = await createApiToken(db, user.id, 'test');
      for (const name of ['gone', 'kept']) {
        const repo = makeRepo(CONFIG);
        dirs.push(repo.dir);
        await createProject(db, org, { name, vcsUrl: repo.dir, defaultBranch: 'main' });
      }
      runnerToken = await createRunnerToken(db, 'test');
    });
    afterAll(async () => {
      await instance?.close();
      await dispose?.();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    async function jobWithOutputs(project: string, size: number): Promise<ClaimedTask> {
      const res = await fetch(`${instance.url}/api/v2/project/gh/acme/${project}/pipeline`, { method: 'POST', headers: { 'Circle-Token': token, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(201);
      const agent = new ScriptedAgent({ url: instance.url, token: runnerToken });
      const t = (await agent.claim(5000))!;
      const put = (path: string, body: Buffer) =>
        fetch(`${instance.url}/api/runner/v1/tasks/${t.task.id}${path}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-agent': agent.agentId, 'x-circlet-task-credential': t.task.credential, 'content-type': 'application/octet-stream' },
          body,
        });
      for (const path of ['/artifacts?path=out.bin', `/caches/blob?key=deps-${project}`, '/workspace']) expect((await put(path, crypto.randomBytes(size))).status).toBe(200);
      await agent.finish(t);
      return t;
    }

    const chunksOf = async (blobKeys: string[]) => {
      if (blobKeys.length === 0) return 0;
      const objects = await database.db.selectFrom('blob_objects').select('upload_id').where('key', 'in', blobKeys).execute();
      if (objects.length === 0) return 0;
      return (await database.db.selectFrom('blob_chunks').select('n').where('upload_id', 'in', objects.map((o) => o.upload_id)).execute()).length;
    };
    const blobKeysOf = async (jobId: string) => [
      ...(await database.db.selectFrom('artifacts').select('blob_key').where('job_id', '=', jobId).execute()),
      ...(await database.db.selectFrom('caches').innerJoin('jobs', 'jobs.project_id', 'caches.project_id').select('caches.blob_key').where('jobs.id', '=', jobId).execute()),
      ...(await database.db.selectFrom('workspace_layers').select('blob_key').where('job_id', '=', jobId).execute()),
    ].map((r) => r.blob_key);

    it('removes expired blobs with all their chunks, keeps live ones whole, sweeps chunks of cut-off uploads', async () => {
      const db = database.db;
      const gone = await jobWithOutputs('gone', 10 * CHUNK + 5);
      const kept = await jobWithOutputs('kept', 7 * CHUNK);
      const keptProject = (await db.selectFrom('projects').select('id').where('name', '=', 'kept').executeTakeFirstOrThrow()).id;
      await setProjectRetention(db, keptProject, { artifacts: 90, caches: 90, workspaces: 90 }, now().toISOString());
      const goneKeys = await blobKeysOf(gone.job.id);
      const keptKeys = await blobKeysOf(kept.job.id);
      expect(goneKeys).toHaveLength(3);
      expect(keptKeys).toHaveLength(3);
      expect(await chunksOf(goneKeys)).toBe(3 * 11);
      expect(await chunksOf(keptKeys)).toBe(3 * 7);

      // 31 days on: past every default; two uploads without a blob row, one cut off two days
      // ago, one still being written.
      clock += 31 * DAY;
      const orphan = (id: string, age: number) => db.insertInto('blob_chunks').values({ upload_id: id, n: 0, data: Buffer.from('x'), created_at: new Date(clock - age).toISOString() }).execute();
      await orphan('cut-off', 2 * DAY);
      await orphan('in-flight', 60_000);

      const swept = await instance.engine.sweepExpired();
      expect(swept).toEqual({ ran: true, removed: 3 });
      expect(await db.selectFrom('blob_objects').select('key').where('key', 'in', goneKeys).execute()).toEqual([]);
      const uploads = (await db.selectFrom('blob_chunks').select('upload_id').distinct().execute()).map((r) => r.upload_id);
      expect(uploads).not.toContain('cut-off');
      expect(uploads).toContain('in-flight');
      // Only the kept blobs' uploads and the one in flight are left: not a chunk of the swept ones.
      expect(uploads).toHaveLength(3 + 1);
      expect(await chunksOf(keptKeys)).toBe(3 * 7);
      for (const k of keptKeys) {
        const blob = (await blobs.get(k))!;
        let bytes = 0;
        for await (const c of blob.body) bytes += (c as Buffer).length;
        expect(bytes).toBe(7 * CHUNK);
      }
      for (const k of goneKeys) expect(await blobs.get(k)).toBeUndefined();
    });
  });
}
