// Two real `circlet serve` processes on one PostgreSQL database, four scripted agents (two
// per server) draining pipelines triggered through both: every task runs exactly once and
// every workflow succeeds. Needs CIRCLET_TEST_DATABASE_URL.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAndMigrate, type Database } from '../../src/storage/db.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { killAll, runCli, startServe, type ServeProcess } from '../cli/child.ts';
import { createPostgresDatabase, tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';

const CONFIG = `version: 2.1
jobs:
  build: {machine: true, steps: [{run: echo build}]}
  test: {machine: true, parallelism: 3, steps: [{run: echo test}]}
  lint: {docker: [{image: cimg/base:stable}], steps: [{run: echo lint}]}
  docs: {machine: true, steps: [{run: echo docs}]}
  deploy: {machine: true, steps: [{run: echo deploy}]}
workflows:
  main:
    jobs:
      - build
      - test: {requires: [build]}
      - lint: {requires: [build]}
      - docs: {requires: [build]}
      - deploy: {requires: [test, lint, docs]}
  side:
    jobs: [docs]
`;

const PIPELINES = 12;

describe.skipIf(!process.env.CIRCLET_TEST_DATABASE_URL)('two engine processes on one PostgreSQL', () => {
  let drop: () => Promise<void>;
  let url: string;
  let database: Database;
  const dirs: string[] = [];
  const servers: ServeProcess[] = [];
  const env = { CIRCLET_SECRET_KEY: crypto.randomBytes(32).toString('hex') };

  beforeAll(async () => {
    const pg = await createPostgresDatabase();
    drop = pg.drop;
    url = pg.url;
    const help = (await runCli(['serve', '--help'])).stdout;
    const agents = help.includes('--agents') ? ['--agents', '0'] : [];
    for (let i = 0; i < 2; i++) {
      const dir = tempDir(`circlet-replica-${i}-`);
      dirs.push(dir);
      // One after the other: the first migrates, the second finds the schema in place.
      servers.push(await startServe(['--port', '0', '--database-url', url, '--data-dir', dir, ...agents], { env }));
    }
    database = await openAndMigrate(url);
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    killAll();
    await database?.close();
    await drop?.();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('runs every task exactly once across four agents and two servers', async () => {
    const repo = makeRepo(CONFIG);
    const login = await runCli(['token', 'create', '--login', 'alice', '--database-url', url, '--data-dir', dirs[0]!], { env });
    expect(login.code, login.stderr).toBe(0);
    const token = login.stdout.trim();
    const added = await runCli(['project', 'add', 'gh/acme/multi', '--repo', repo.dir, '--owner', 'alice', '--database-url', url, '--data-dir', dirs[0]!], { env });
    expect(added.code, added.stderr).toBe(0);
    const runnerToken = await createRunnerToken(database.db, 'replicas');

    const agents = [0, 1, 2, 3].map((i) => new ScriptedAgent({ url: servers[i % 2]!.url, token: runnerToken, agentId: `agent-${i}` }));
    const running = agents.map((a) => a.run());

    const ids = await Promise.all(
      Array.from({ length: PIPELINES }, async (_, i) => {
        const res = await fetch(`${servers[i % 2]!.url}/api/v2/project/gh/acme/multi/pipeline`, {
          method: 'POST',
          headers: { 'Circle-Token': token, 'content-type': 'application/json' },
          body: '{}',
        });
        expect(res.status).toBe(201);
        return ((await res.json()) as { id: string }).id;
      }),
    );
    expect(new Set(ids).size).toBe(PIPELINES);

    // main: 1 + 3 + 1 + 1 + 1 = 7 tasks; side: 1 task.
    const expectedTasks = PIPELINES * 8;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const open = await database.db.selectFrom('workflows').select('id').where('status', 'not in', ['success', 'failed', 'canceled', 'error', 'unauthorized', 'not_run']).execute();
      const total = await database.db.selectFrom('workflows').select('id').execute();
      if (total.length === PIPELINES * 2 && open.length === 0) break;
      if (Date.now() > deadline) throw new Error(`workflows still open: ${open.length} of ${total.length}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const a of agents) a.stop();
    await Promise.all(running);

    const claimed = agents.flatMap((a) => a.claimed.map((t) => t.task.id));
    expect(claimed.length).toBe(expectedTasks);
    expect(new Set(claimed).size).toBe(expectedTasks);
    // Both servers handed out work, and every agent got some.
    expect(agents.every((a) => a.claimed.length > 0)).toBe(true);

    const tasks = await database.db.selectFrom('tasks').select(['id', 'status', 'agent_id']).execute();
    expect(tasks.length).toBe(expectedTasks);
    expect(tasks.every((t) => t.status === 'success')).toBe(true);
    const byTask = new Map(agents.flatMap((a) => a.claimed.map((t) => [t.task.id, a.agentId] as const)));
    expect(tasks.every((t) => byTask.get(t.id) === t.agent_id)).toBe(true);

    const workflows = await database.db.selectFrom('workflows').select(['status']).execute();
    expect(workflows.map((w) => w.status)).toEqual(Array(PIPELINES * 2).fill('success'));
    const jobs = await database.db.selectFrom('jobs').select(['status', 'number', 'project_id']).execute();
    expect(jobs.every((j) => j.status === 'success')).toBe(true);
    // Job numbers are unique per project, even with two servers numbering.
    const numbers = jobs.map((j) => j.number);
    expect(new Set(numbers).size).toBe(numbers.length);
    const pipelineNumbers = (await database.db.selectFrom('pipelines').select('number').execute()).map((p) => p.number).sort((a, b) => a - b);
    expect(pipelineNumbers).toEqual(Array.from({ length: PIPELINES }, (_, i) => i + 1));
  }, 120_000);
});
