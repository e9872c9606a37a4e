// A docker job that no agent can run says why it waits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_WAIT_NOTE } from '../../src/engine/runner/claims.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo hi}]
workflows:
  main:
    jobs: [build]
`;

for (const kind of databaseKinds()) {
  describe(`docker jobs without a docker agent (${kind.name})`, () => {
    let server: TestServer;
    let token: string;
    let runnerToken: string;
    beforeAll(async () => {
      server = await startTestServer(kind);
      token = (await server.user('alice', 'acme')).token;
      runnerToken = await createRunnerToken(server.database.db, 'test');
      await server.project('gh/acme/dock', makeRepo(CONFIG).dir);
    });
    afterAll(async () => server?.close());

    it('stay queued with a message naming the reason', async () => {
      const trig = await server.call('POST', '/api/v2/project/gh/acme/dock/pipeline', token, {});
      expect(trig.status).toBe(201);
      const agent = new ScriptedAgent({ url: server.url, token: runnerToken, executors: ['machine'], agentId: 'machine-only' });
      expect(await agent.claim(200)).toBeUndefined();
      const wf = (await server.call('GET', `/api/v2/pipeline/${trig.body.id}/workflow`, token)).body.items[0];
      const job = (await server.call('GET', `/api/v2/workflow/${wf.id}/job`, token)).body.items[0];
      expect(job.status).toBe('queued');
      const details = await server.call('GET', `/api/v2/project/gh/acme/dock/job/${job.job_number}`, token);
      const notes = details.body.messages.filter((m: { message: string }) => m.message.startsWith(DOCKER_WAIT_NOTE));
      expect(notes).toHaveLength(1);
      expect(notes[0].message).toContain('machine-only');
      // A second poll does not repeat the note.
      expect(await agent.claim(100)).toBeUndefined();
      const again = await server.call('GET', `/api/v2/project/gh/acme/dock/job/${job.job_number}`, token);
      expect(again.body.messages.filter((m: { message: string }) => m.message.startsWith(DOCKER_WAIT_NOTE))).toHaveLength(1);
      // Once an agent with an engine claims the job, it no longer waits: the note goes.
      const docker = new ScriptedAgent({ url: server.url, token: runnerToken, executors: ['docker', 'machine'], agentId: 'with-docker' });
      const claimed = await docker.claim(1_000);
      expect(claimed?.job.name).toBe(job.name);
      const running = await server.call('GET', `/api/v2/project/gh/acme/dock/job/${job.job_number}`, token);
      expect(running.body.messages.filter((m: { message: string }) => m.message.startsWith(DOCKER_WAIT_NOTE))).toEqual([]);
    });
  });
}
