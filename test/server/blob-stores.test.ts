// Blob stores chosen by configuration, and what a server does with each: on S3 an artifact
// download is a redirect to a presigned URL, and two replicas on one S3 bucket read each
// other's artifacts and caches.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { blobConfigFromEnv, openBlobStore } from '../../src/server/blob-config.ts';
import { createInstance, type Instance } from '../../src/server/instance.ts';
import { S3BlobStore } from '../../src/storage/blob-store-s3.ts';
import { DbBlobStore } from '../../src/storage/blob-store-db.ts';
import { FileBlobStore } from '../../src/storage/blob-store.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { createApiToken, ensureUser } from '../../src/storage/users.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { S3_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3.ts';

describe('blob store configuration', () => {
  it('follows the database unless one is named, and names what is wrong', async () => {
    const [sqlite] = databaseKinds();
    const { database, dispose } = await sqlite!.create();
    const dir = tempDir();
    try {
      expect(openBlobStore(blobConfigFromEnv({}), database, dir)).toBeInstanceOf(FileBlobStore);
      expect(() => openBlobStore(blobConfigFromEnv({ CIRCLET_BLOB_STORE: 'postgres' }), database, dir)).toThrow(/needs a PostgreSQL database/);
      expect(() => blobConfigFromEnv({ CIRCLET_BLOB_STORE: 'ftp' })).toThrow(/invalid blob store 'ftp': must be one of filesystem, postgres, s3/);
      expect(() => blobConfigFromEnv({}, 's3')).toThrow(/CIRCLET_S3_BUCKET/);
      const s3 = blobConfigFromEnv({ CIRCLET_S3_BUCKET: 'ci', CIRCLET_S3_PREFIX: 'circlet', CIRCLET_S3_ENDPOINT: 'http://127.0.0.1:9', CIRCLET_S3_FORCE_PATH_STYLE: 'true' }, 's3');
      expect(s3.s3).toMatchObject({ bucket: 'ci', prefix: 'circlet', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, presign: true });
      const store = openBlobStore(s3, database, dir);
      expect(store).toBeInstanceOf(S3BlobStore);
      expect(store.description).toBe('s3 ci/circlet/ at http://127.0.0.1:9');
      (store as S3BlobStore).close();
    } finally {
      await dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(databaseKinds().length < 2)('uses chunked rows on PostgreSQL by default', async () => {
    const { database, dispose } = await databaseKinds()[1]!.create();
    try {
      expect(openBlobStore(blobConfigFromEnv({}), database, '/nonexistent')).toBeInstanceOf(DbBlobStore);
    } finally {
      await dispose();
    }
  });
});

describe('two replicas on one S3 bucket', () => {
  let s3: TestS3;
  const replicas: Instance[] = [];
  const stores: S3BlobStore[] = [];
  let dispose: () => Promise<void>;
  let token: string;
  let runnerToken: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    s3 = await startS3();
    const bucket = await s3.bucket('circlet-replicas');
    const created = await databaseKinds()[0]!.create();
    dispose = created.dispose;
    const database = created.database;
    const secrets = createSecretBox(crypto.randomBytes(32));
    for (let i = 0; i < 2; i++) {
      const store = new S3BlobStore({ bucket, prefix: 'ci', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS });
      stores.push(store);
      const dataDir = tempDir('circlet-replica-');
      dirs.push(dataDir);
      replicas.push(await createInstance({ database, secrets, dataDir, blobs: store }));
    }
    const user = await ensureUser(database.db, 'alice');
    const org = await ensureOrganization(database.db, 'github', 'acme');
    await addMember(database.db, org.id, user.id);
    token = await createApiToken(database.db, user.id, 't');
    await createProject(database.db, org, { name: 's3', vcsUrl: makeRepo('version: 2.1\njobs:\n  a: {machine: true, steps: [{run: echo}]}\n  b: {machine: true, steps: [{run: echo}]}\nworkflows:\n  w: {jobs: [a, {b: {requires: [a]}}]}\n').dir, defaultBranch: 'main' });
    runnerToken = await createRunnerToken(database.db, 's3');
  }, 60_000);

  afterAll(async () => {
    for (const r of replicas) await r.close();
    for (const s of stores) s.close();
    await dispose?.();
    await s3?.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('redirects artifact downloads to a presigned URL and shares caches and workspaces', async () => {
    const [a, b] = replicas as [Instance, Instance];
    const trig = await fetch(`${a.url}/api/v2/project/gh/acme/s3/pipeline`, { method: 'POST', headers: { 'Circle-Token': token, 'content-type': 'application/json' }, body: '{}' });
    expect(trig.status).toBe(201);
    const agentA = new ScriptedAgent({ url: a.url, token: runnerToken });
    const t = (await agentA.claim(2000))!;
    const put = (url: string, agent: ScriptedAgent, id: string, cred: string, path: string, body: string) =>
      fetch(`${url}/api/runner/v1/tasks/${id}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-agent': agent.agentId, 'x-circlet-task-credential': cred, 'content-type': 'application/octet-stream' }, body });
    expect((await put(a.url, agentA, t.task.id, t.task.credential, '/artifacts?path=report.html', '<p>hi</p>')).status).toBe(200);
    expect((await put(a.url, agentA, t.task.id, t.task.credential, '/caches/blob?key=deps-1', 'cached')).status).toBe(200);
    expect((await put(a.url, agentA, t.task.id, t.task.credential, '/workspace', 'layer')).status).toBe(200);
    await agentA.finish(t);

    const arts = await (await fetch(`${b.url}/api/v2/project/gh/acme/s3/${t.job.number}/artifacts`, { headers: { 'Circle-Token': token } })).json();
    const viaB = (arts as any).items[0].url.replace(a.url, b.url);
    const res = await fetch(viaB, { headers: { 'Circle-Token': token }, redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location.startsWith(s3.endpoint)).toBe(true);
    const direct = await fetch(location);
    expect(direct.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await direct.text()).toBe('<p>hi</p>');
    expect((await fetch(viaB, { redirect: 'manual' })).status).toBe(401);

    // The downstream job, on the other replica, restores the cache and attaches the workspace.
    const agentB = new ScriptedAgent({ url: b.url, token: runnerToken });
    const next = (await agentB.claim(2000))!;
    const get = (path: string, method = 'GET', body?: string) =>
      fetch(`${b.url}/api/runner/v1/tasks/${next.task.id}${path}`, {
        method,
        headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-agent': agentB.agentId, 'x-circlet-task-credential': next.task.credential, ...(body ? { 'content-type': 'application/json' } : {}) },
        body,
      });
    expect(((await (await get('/caches/lookup', 'POST', JSON.stringify({ keys: ['deps-'] }))).json()) as any).key).toBe('deps-1');
    expect(await (await get('/caches/blob?key=deps-1')).text()).toBe('cached');
    const layers = ((await (await get('/workspace')).json()) as any).layers;
    expect(await (await get(`/workspace/${layers[0].id}`)).text()).toBe('layer');
    await agentB.finish(next);
  }, 60_000);
});
