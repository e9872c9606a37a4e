// Issue 18 items 4 and 5, written as the attacks: a runner token reaches only the tasks it
// claimed (through the task credential the claim returned), and a self-hosted resource class
// runs only jobs of the organization that owns it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResourceClass } from '../../src/storage/resource-classes.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { runnerTokenFor } from '../helpers/runner.ts';
import { ScriptedAgent, type ClaimedTask } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CLOUD = `version: 2.1
jobs:
  build:
    machine: true
    environment: {}
    steps: [{run: echo hi}]
workflows: {main: {jobs: [build]}}
`;
const selfHosted = (rc: string) => `version: 2.1
jobs:
  big:
    machine: true
    resource_class: ${rc}
    steps: [{run: echo big}]
workflows: {main: {jobs: [big]}}
`;

for (const kind of databaseKinds()) {
  describe(`runner scope (${kind.name})`, () => {
    let server: TestServer;
    let acme: string;
    let other: string;
    let runnerToken: string;
    let n = 0;

    beforeAll(async () => {
      server = await startTestServer(kind);
      acme = (await server.user('alice', 'acme')).token;
      other = (await server.user('mallory', 'other')).token;
      runnerToken = await createRunnerToken(server.database.db, 'cloud');
    });
    afterAll(async () => server?.close());

    async function trigger(org: string, token: string, config: string): Promise<string> {
      const slug = `gh/${org}/p${++n}`;
      await server.project(slug, makeRepo(config).dir);
      await server.call('POST', `/api/v2/project/${slug}/envvar`, token, { name: 'SECRET', value: 'hunter2' });
      const res = await server.call('POST', `/api/v2/project/${slug}/pipeline`, token, {});
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    }

    async function jobOf(pipelineId: string, token: string) {
      const wf = (await server.call('GET', `/api/v2/pipeline/${pipelineId}/workflow`, token)).body.items[0];
      return (await server.call('GET', `/api/v2/workflow/${wf.id}/job`, token)).body.items[0];
    }

    async function claimed(): Promise<{ victim: ScriptedAgent; task: ClaimedTask; pipelineId: string }> {
      const pipelineId = await trigger('acme', acme, CLOUD);
      const victim = new ScriptedAgent({ url: server.url, token: runnerToken, agentId: `embedded-host-${n}` });
      const task = (await victim.claim(2_000))!;
      expect(task).toBeDefined();
      return { victim, task, pipelineId };
    }

    it('the claim returns a random task credential, different for each task', async () => {
      const a = await claimed();
      const b = await claimed();
      expect(a.task.task.credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(a.task.task.credential).not.toBe(b.task.task.credential);
      expect((await a.victim.secrets(a.task)).status).toBe(200);
      await a.victim.finish(a.task);
      await b.victim.finish(b.task);
    });

    it("another agent with the same runner token and the victim's agent id cannot read the secrets, write the log, or complete the task", async () => {
      const { victim, task, pipelineId } = await claimed();
      // The attacker knows the task id (output URLs show it) and the agent id (predictable),
      // but not the credential.
      const attacker = new ScriptedAgent({ url: server.url, token: runnerToken, agentId: victim.agentId });
      const id = task.task.id;
      for (const [path, body] of [
        [`/tasks/${id}/secrets`, {}],
        [`/tasks/${id}/steps`, { index: 0, name: 'x', type: 'run' }],
        [`/tasks/${id}/steps/0/output`, { seq: 0, data: 'injected\n' }],
        [`/tasks/${id}/steps/0/end`, { status: 'success', exit_code: 0 }],
        [`/tasks/${id}/heartbeat`, {}],
        [`/tasks/${id}/complete`, { status: 'success' }],
      ] as const) {
        const none = await attacker.call(path, body);
        expect(none.status, path).toBe(401);
        expect(none.body.message).toMatch(/task credential is required/);
        const guessed = await attacker.call(path, body, { 'x-circlet-task-credential': 'A'.repeat(43) });
        expect(guessed.status, path).toBe(409);
        expect(JSON.stringify(guessed.body)).not.toContain('hunter2');
      }
      expect((await jobOf(pipelineId, acme)).status).toBe('running');
      // The victim still owns the task and finishes it.
      const secrets = await victim.secrets(task);
      expect(secrets.status).toBe(200);
      expect(secrets.body.environment.SECRET).toBe('hunter2');
      await victim.finish(task);
      expect((await jobOf(pipelineId, acme)).status).toBe('success');
    });

    it('the credential is bound to the runner token and the agent that claimed the task', async () => {
      const { victim, task } = await claimed();
      const credential = { 'x-circlet-task-credential': task.task.credential };
      const otherToken = new ScriptedAgent({ url: server.url, token: await createRunnerToken(server.database.db, 'second'), agentId: victim.agentId });
      expect((await otherToken.call(`/tasks/${task.task.id}/secrets`, {}, credential)).status).toBe(409);
      const otherAgent = new ScriptedAgent({ url: server.url, token: runnerToken });
      expect((await otherAgent.call(`/tasks/${task.task.id}/secrets`, {}, credential)).status).toBe(409);
      await victim.finish(task);
    });

    it('the credential ends with the task', async () => {
      const { victim, task } = await claimed();
      await victim.finish(task);
      expect((await victim.secrets(task)).status).toBe(409);
      expect((await victim.call(`/tasks/${task.task.id}/steps/0/output`, { seq: 1, data: 'late\n' })).status).toBe(409);
    });

    it('uploads and downloads need the credential too', async () => {
      const { victim, task } = await claimed();
      const raw = (headers: Record<string, string>) =>
        fetch(`${server.url}/api/runner/v1/tasks/${task.task.id}/artifacts?path=x.txt`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-agent': victim.agentId, 'content-type': 'application/octet-stream', ...headers },
          body: 'forged',
        });
      expect((await raw({})).status).toBe(401);
      expect((await raw({ 'x-circlet-task-credential': 'nope' })).status).toBe(409);
      const timings = await fetch(`${server.url}/api/runner/v1/tasks/${task.task.id}/timings`, { headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-agent': victim.agentId } });
      expect(timings.status).toBe(401);
      expect((await raw({ 'x-circlet-task-credential': task.task.credential })).status).toBe(200);
      await victim.finish(task);
    });

    it("a job of another organization using acme's resource class is unauthorized, and acme's runner never sees it", async () => {
      const acmeRunner = await runnerTokenFor(server.database.db, 'acme big', 'acme/big', 'acme');
      const pipelineId = await trigger('other', other, selfHosted('acme/big'));
      const job = await jobOf(pipelineId, other);
      expect(job.status).toBe('unauthorized');
      const full = await server.call('GET', `/api/v2/project/${job.project_slug}/job/${job.job_number}`, other);
      expect(JSON.stringify(full.body.messages)).toMatch(/resource class \\"acme\/big\\" is not a resource class of this organization/);
      expect(await new ScriptedAgent({ url: server.url, token: acmeRunner, executors: ['machine'] }).claim(0)).toBeUndefined();
      // acme's own job with that class runs on acme's runner.
      const mine = await trigger('acme', acme, selfHosted('acme/big'));
      const agent = new ScriptedAgent({ url: server.url, token: acmeRunner, executors: ['machine'] });
      const t = (await agent.claim(2_000))!;
      expect(t.job.resource_class).toBe('acme/big');
      await agent.finish(t);
      expect((await jobOf(mine, acme)).status).toBe('success');
    });

    it('an unregistered self-hosted class is unauthorized', async () => {
      const job = await jobOf(await trigger('acme', acme, selfHosted('nobody/box')), acme);
      expect(job.status).toBe('unauthorized');
    });

    it('a token cannot widen the classes it serves by naming others in the claim', async () => {
      const org = await ensureOrganization(server.database.db, 'github', 'acme');
      await createResourceClass(server.database.db, 'acme/wide', org.id);
      const cloud = new ScriptedAgent({ url: server.url, token: runnerToken, executors: ['machine'] });
      const res = await cloud.call('/claim', { executors: ['machine'], resource_classes: ['acme/wide'], wait_ms: 0 });
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/cloud resource classes only, not acme\/wide/);
      const bigToken = await runnerTokenFor(server.database.db, 'big2', 'acme/big');
      const big = new ScriptedAgent({ url: server.url, token: bigToken });
      const res2 = await big.call('/claim', { executors: ['machine'], resource_classes: ['acme/wide'], wait_ms: 0 });
      expect(res2.status).toBe(403);
      expect(res2.body.message).toMatch(/serves resource class acme\/big only/);
    });

    it('a runner token is issued only for an existing class', async () => {
      await expect(createRunnerToken(server.database.db, 'x', 'ghost/class')).rejects.toThrow(/does not exist/);
    });
  });
}
