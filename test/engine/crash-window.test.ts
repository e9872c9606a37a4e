// A task's result and its job's advance are two transactions. A replica killed between them
// (the agent's `complete` recorded, the workflow not yet advanced) left the job running for
// ever: the agent's retry gets 409 (the task is no longer running), the lease reaper only
// looks at running tasks. Found by test/scale/chaos.test.ts with repeated replica kills. Now
// the reaper of any replica advances a queued or running job whose tasks have all ended.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowIso } from '../../src/domain/clock.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { finishRunningTask } from '../../src/storage/tasks.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo, type TestRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const CONFIG = 'version: 2.1\njobs:\n  a: {machine: true, steps: [{run: echo a}]}\n  b: {machine: true, steps: [{run: echo b}]}\nworkflows:\n  w: {jobs: [a, {b: {requires: [a]}}]}\n';

for (const kind of databaseKinds()) {
  describe(`a replica that died between a task's result and its job's advance (${kind.name})`, () => {
    let server: TestServer;
    let repo: TestRepo;
    beforeAll(async () => {
      server = await startTestServer(kind, { leaseMs: 60_000, reapIntervalMs: 200 });
      repo = makeRepo(CONFIG);
    });
    afterAll(async () => {
      await server?.close();
      fs.rmSync(repo.dir, { recursive: true, force: true });
    });

    it('the reaper advances the job: it ends with its task, and the next job runs', async () => {
      const { token } = await server.user('alice', 'acme');
      await server.project('gh/acme/crash', repo.dir);
      const agent = new ScriptedAgent({ url: server.url, token: await createRunnerToken(server.database.db, 'test') });
      expect((await server.call('POST', '/api/v2/project/gh/acme/crash/pipeline', token, {})).status).toBe(201);
      const a = (await agent.claim(5_000))!;
      expect(a.job.name).toBe('a');
      // What the dead replica got done: the result is stored, nothing after it.
      expect(await finishRunningTask(server.database.db, a.task.id, agent.agentId, 'success', null, nowIso())).toBe(a.job.id);
      // The agent's retry of `complete` is refused: the task is no longer its running task.
      expect((await agent.complete(a, 'success')).status).toBe(409);
      const job = await waitFor(() => server.database.db.selectFrom('jobs').select('status').where('id', '=', a.job.id).executeTakeFirstOrThrow(), (j) => j.status === 'success', { timeoutMs: 5_000 });
      expect(job.status).toBe('success');
      const b = (await agent.claim(5_000))!;
      expect(b.job.name).toBe('b');
      await agent.finish(b);
      const workflow = await waitFor(() => server.database.db.selectFrom('workflows').select('status').executeTakeFirstOrThrow(), (w) => w.status === 'success', { timeoutMs: 5_000 });
      expect(workflow.status).toBe('success');
    });
  });
}
