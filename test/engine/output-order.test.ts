// Step output is stored in seq order even when an agent has several chunks of a step in
// flight and a later one arrives first (src/engine/runner/output-order.ts); a chunk waiting
// for its turn is not stored once the task ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  w:
    jobs: [a]
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of databaseKinds()) {
  describe(`output order (${kind.name})`, () => {
    let server: TestServer;
    let runnerToken: string;
    let token: string;
    beforeAll(async () => {
      server = await startTestServer(kind);
      token = (await server.user('alice', 'acme')).token;
      runnerToken = await createRunnerToken(server.database.db, 'test');
      await server.project('gh/acme/order', makeRepo(CONFIG).dir);
    });
    afterAll(async () => server?.close());

    async function started(): Promise<{ agent: ScriptedAgent; t: ClaimedTask }> {
      expect((await server.call('POST', '/api/v2/project/gh/acme/order/pipeline', token, {})).status).toBe(201);
      const agent = new ScriptedAgent({ url: server.url, token: runnerToken });
      const t = (await agent.claim(10_000))!;
      expect((await agent.call(`/tasks/${t.task.id}/steps`, { index: 0, name: 'run', type: 'run' })).status).toBe(200);
      return { agent, t };
    }
    const raw = (agent: ScriptedAgent, t: ClaimedTask, seq: number, body: string) =>
      fetch(`${server.url}/api/runner/v1/tasks/${t.task.id}/steps/0/output/raw?seq=${seq}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-task-credential': t.task.credential, 'x-circlet-agent': agent.agentId, 'content-type': 'application/octet-stream' },
        body,
      });
    const storedSeqs = async (t: ClaimedTask) =>
      (await server.database.db.selectFrom('step_output').select(['seq', 'data']).where('task_id', '=', t.task.id).orderBy('seq').execute()).map((r) => [r.seq, r.data]);

    it('a chunk arriving before its predecessor waits for it: stored and answered in seq order', async () => {
      const { agent, t } = await started();
      const answered: number[] = [];
      const send = (seq: number) => raw(agent, t, seq, `chunk ${seq}\n`).then((res) => (answered.push(seq), res.status));
      const later = [send(2), send(1)];
      await sleep(300);
      expect(await storedSeqs(t)).toEqual([]);
      expect(answered).toEqual([]);
      const statuses = await Promise.all([send(0), ...later]);
      expect(statuses).toEqual([200, 200, 200]);
      expect(answered).toEqual([0, 1, 2]);
      expect(await storedSeqs(t)).toEqual([0, 1, 2].map((s) => [s, `chunk ${s}\n`]));
      // The next chunk after them goes straight through (its predecessor is known handled).
      const t0 = performance.now();
      expect((await raw(agent, t, 3, 'chunk 3\n')).status).toBe(200);
      expect(performance.now() - t0).toBeLessThan(2000);
      expect((await agent.complete(t, 'success')).status).toBe(200);
    });

    it('a chunk waiting for its turn is refused, not stored, once the task ended', async () => {
      const { agent, t } = await started();
      const waiting = raw(agent, t, 1, 'late\n');
      await sleep(200);
      expect((await agent.complete(t, 'success')).status).toBe(200);
      expect((await raw(agent, t, 0, 'too late\n')).status).toBe(409);
      expect((await waiting).status).toBe(409);
      expect(await storedSeqs(t)).toEqual([]);
    });
  });
}
