// Runner protocol for what tasks leave behind: artifacts, test results, caches (prefix
// restore, never overwritten), workspace layers (downstream only) and timings.
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
  b: {machine: true, steps: [{run: echo b}]}
  c: {machine: true, steps: [{run: echo c}]}
workflows:
  w1:
    jobs: [a, {b: {requires: [a]}}, c]
`;

for (const kind of databaseKinds()) {
  describe(`runner outputs (${kind.name})`, () => {
    let server: TestServer;
    let runnerToken: string;
    let token: string;
    beforeAll(async () => {
      server = await startTestServer(kind);
      token = (await server.user('alice', 'acme')).token;
      runnerToken = await createRunnerToken(server.database, 'test');
      await server.project('gh/acme/out', makeRepo(CONFIG).dir);
    });
    afterAll(async () => server?.close());

    const raw = (agent: ScriptedAgent, t: ClaimedTask, method: string, path: string, body?: BodyInit, type = 'application/octet-stream') =>
      fetch(`${server.url}/api/runner/v1/tasks/${t.task.id}${path}`, {
        method,
        headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-agent': agent.agentId, ...(body !== undefined ? { 'content-type': type } : {}) },
        body,
      });

    it('stores artifacts, tests, caches and workspace layers', async () => {
      expect((await server.call('POST', '/api/v2/project/gh/acme/out/pipeline', token, {})).status).toBe(201);
      const agent = new ScriptedAgent({ url: server.url, token: runnerToken });
      const first = [(await agent.claim(1000))!, (await agent.claim(1000))!];
      const a = first.find((t) => t.job.name === 'a')!;
      const c = first.find((t) => t.job.name === 'c')!;

      let res = await raw(agent, a, 'PUT', '/artifacts?path=reports/out.txt', 'hello');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ path: 'reports/out.txt', size: 5 });
      expect((await raw(agent, a, 'PUT', '/artifacts?path=../etc/passwd', 'x')).status).toBe(400);

      res = await raw(agent, a, 'POST', '/test-results', JSON.stringify({ tests: [{ name: 't1', classname: 'C', file: 'a.test.js', result: 'success', run_time: 1.5 }] }), 'application/json');
      expect(await res.json()).toEqual({ stored: 1 });

      expect(await (await raw(agent, a, 'PUT', '/caches/blob?key=deps-v1-abc', 'cache-1')).json()).toEqual({ result: 'saved' });
      expect(await (await raw(agent, a, 'PUT', '/caches/blob?key=deps-v1-abc', 'cache-2')).json()).toEqual({ result: 'exists' });
      await new Promise((r) => setTimeout(r, 5));
      expect(await (await raw(agent, a, 'PUT', '/caches/blob?key=deps-v1-abd', 'cache-3')).json()).toEqual({ result: 'saved' });
      const lookup = await (await raw(agent, a, 'POST', '/caches/lookup', JSON.stringify({ keys: ['nope-', 'deps-v1-'] }), 'application/json')).json();
      expect(lookup.key).toBe('deps-v1-abd');
      expect(await (await raw(agent, a, 'GET', '/caches/blob?key=deps-v1-abc')).text()).toBe('cache-1');
      expect((await (await raw(agent, a, 'POST', '/caches/lookup', JSON.stringify({ keys: ['deps-v1-%'] }), 'application/json')).json()).key).toBe(null);

      expect((await raw(agent, a, 'PUT', '/workspace', 'layer-from-a')).status).toBe(200);
      await agent.finish(a);
      await agent.finish(c);
      const b = (await agent.claim(1000))!;
      expect(b.job.name).toBe('b');
      const layers = (await (await raw(agent, b, 'GET', '/workspace')).json()).layers;
      expect(layers.map((l: any) => l.job_name)).toEqual(['a']);
      expect(await (await raw(agent, b, 'GET', `/workspace/${layers[0].id}`)).text()).toBe('layer-from-a');
      const timings = (await (await raw(agent, b, 'GET', '/timings')).json()).tests;
      expect(timings).toEqual([{ file: 'a.test.js', classname: 'C', name: 't1', run_time: 1.5 }]);
      expect((await raw(new ScriptedAgent({ url: server.url, token: runnerToken }), b, 'GET', '/workspace')).status).toBe(409);
      await agent.finish(b);
    });
  });
}
