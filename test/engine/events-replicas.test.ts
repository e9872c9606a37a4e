// Events across replicas (PostgreSQL LISTEN/NOTIFY): two instances on one database. A client
// streaming a job's log from replica B sees each line an agent posts to replica A within
// 200 ms; an agent long-polling B claims a task triggered on A at once (not at its next
// poll); a wake-up for tasks of one class leaves waiters for other classes asleep.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { agentMatches, type TaskClass } from '../../src/engine/events.ts';
import { createInstance, type Instance } from '../../src/server/instance.ts';
import { openAndMigrate, type Database } from '../../src/storage/db.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { createApiToken, ensureUser } from '../../src/storage/users.ts';
import { createPostgresDatabase, tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';

const CONFIG = `version: 2.1
jobs:
  a: {machine: true, steps: [{run: echo a}]}
workflows:
  w: {jobs: [a]}
`;

describe('agentMatches', () => {
  const cloud = { executors: ['machine', 'docker'], resourceClasses: null };
  const gpu = { executors: ['machine'], resourceClasses: ['acme/gpu'] };
  it.each<[string, TaskClass, boolean, boolean]>([
    ['cloud machine', { executor: 'machine', resource_class: 'medium' }, true, false],
    ['cloud docker', { executor: 'docker', resource_class: 'large' }, true, false],
    ['self-hosted gpu', { executor: 'machine', resource_class: 'acme/gpu' }, false, true],
    ['self-hosted other', { executor: 'machine', resource_class: 'acme/arm' }, false, false],
    ['macos', { executor: 'macos', resource_class: 'm1.medium' }, false, false],
  ])('%s', (_, c, forCloud, forGpu) => {
    expect(agentMatches(cloud, c)).toBe(forCloud);
    expect(agentMatches(gpu, c)).toBe(forGpu);
  });
});

describe.skipIf(!process.env.CIRCLET_TEST_DATABASE_URL)('events across two replicas on one PostgreSQL', () => {
  let drop: () => Promise<void>;
  const databases: Database[] = [];
  const replicas: Instance[] = [];
  const dirs: string[] = [];
  let token: string;
  let runnerToken: string;

  beforeAll(async () => {
    const pg = await createPostgresDatabase();
    drop = pg.drop;
    const secrets = createSecretBox(crypto.randomBytes(32));
    for (let i = 0; i < 2; i++) {
      // Each replica has its own pool, as separate processes would.
      const database = await openAndMigrate(pg.url);
      databases.push(database);
      const dataDir = tempDir('circlet-replica-');
      dirs.push(dataDir);
      replicas.push(await createInstance({ database, secrets, dataDir }));
    }
    const db = databases[0]!.db;
    const user = await ensureUser(db, 'alice');
    const org = await ensureOrganization(db, 'github', 'acme');
    await addMember(db, org.id, user.id);
    token = await createApiToken(db, user.id, 't');
    await createProject(db, org, { name: 'live', vcsUrl: makeRepo(CONFIG).dir, defaultBranch: 'main' });
    runnerToken = await createRunnerToken(db, 'events');
  }, 60_000);

  afterAll(async () => {
    for (const r of replicas) await r.close();
    for (const d of databases) await d.close();
    await drop?.();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const trigger = async (url: string) => {
    const res = await fetch(`${url}/api/v2/project/gh/acme/live/pipeline`, { method: 'POST', headers: { 'Circle-Token': token, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(201);
  };

  it('wakes an agent long-polling replica B when a task is queued on replica A', async () => {
    const [a, b] = replicas as [Instance, Instance];
    const agent = new ScriptedAgent({ url: b.url, token: runnerToken });
    const claiming = agent.claim(10_000);
    await new Promise((r) => setTimeout(r, 300));
    // The trigger answers once its tasks are committed and announced (fetching and compiling
    // the config before that takes a while on a loaded machine; it is not what is measured).
    let triggered = 0;
    await trigger(a.url).then(() => (triggered = Date.now()));
    const t = await claiming;
    const claimed = Date.now();
    expect(t?.job.name).toBe('a');
    // Well below the 5 s safety poll: the NOTIFY woke it.
    expect(claimed - triggered).toBeLessThan(1_000);
    await agent.finish(t!);
  });

  it('streams a job log from replica B with lines posted to replica A within 200 ms', async () => {
    const [a, b] = replicas as [Instance, Instance];
    await trigger(a.url);
    const agent = new ScriptedAgent({ url: a.url, token: runnerToken });
    const t = (await agent.claim(5_000))!;
    await agent.call(`/tasks/${t.task.id}/steps`, { index: 0, name: 'live', type: 'run' });

    const abort = new AbortController();
    const res = await fetch(`${b.url}/api/v2/jobs/${t.job.id}/output/stream`, { headers: { 'Circle-Token': token }, signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const nextOutput = async (): Promise<string> => {
      for (;;) {
        const m = /event: output\ndata: (.*)\n\n/.exec(buffered);
        if (m) {
          buffered = buffered.slice(m.index + m[0].length);
          return (JSON.parse(m[1]!) as { message: string }).message;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffered += decoder.decode(value, { stream: true });
      }
    };
    // Let the stream reach its wait before the first line.
    await new Promise((r) => setTimeout(r, 300));
    // From the moment replica A has stored the line (its answer) to the line on B's stream.
    const latencies: number[] = [];
    for (let seq = 0; seq < 5; seq++) {
      const seen = nextOutput().then((line) => ({ line, at: Date.now() }));
      const stored = await agent.call(`/tasks/${t.task.id}/steps/0/output`, { seq, data: `line ${seq}\n` }).then((r) => ({ status: r.status, at: Date.now() }));
      expect(stored.status).toBe(200);
      const got = await seen;
      expect(got.line).toBe(`line ${seq}\n`);
      latencies.push(Math.max(0, got.at - stored.at));
      await new Promise((r) => setTimeout(r, 100));
    }
    abort.abort();
    await agent.finish(t);
    expect(Math.max(...latencies), `latencies ${latencies.join(', ')} ms`).toBeLessThan(200);
  });

  it('wakes only the waiters whose class matches', async () => {
    const [a, b] = replicas as [Instance, Instance];
    const gpu = { agentId: 'gpu', executors: ['machine'], resourceClasses: ['acme/gpu'], runnerTokenId: 'x' };
    const cloud = { agentId: 'cloud', executors: ['machine'], resourceClasses: null, runnerTokenId: 'x' };
    const woke: string[] = [];
    const wait = (agent: typeof gpu | typeof cloud) =>
      b.engine.runner.waitFor('tasks', 2_000, undefined, (classes) => (classes as TaskClass[]).some((c) => agentMatches(agent, c))).then(() => woke.push(agent.agentId));
    const waits = [wait(gpu), wait(cloud)];
    await new Promise((r) => setTimeout(r, 100));
    a.engine.deps.events.noteQueued({ executor: 'machine', resource_class: 'medium' });
    a.engine.deps.events.emit('tasks');
    await new Promise((r) => setTimeout(r, 500));
    expect(woke).toEqual(['cloud']);
    a.engine.deps.events.noteQueued({ executor: 'machine', resource_class: 'acme/gpu' });
    a.engine.deps.events.emit('tasks');
    await Promise.all(waits);
    expect(woke).toEqual(['cloud', 'gpu']);
  });
});
