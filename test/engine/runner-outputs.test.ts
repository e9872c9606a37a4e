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
      runnerToken = await createRunnerToken(server.database.db, 'test');
      await server.project('gh/acme/out', makeRepo(CONFIG).dir);
    });
    afterAll(async () => server?.close());

    const raw = (agent: ScriptedAgent, t: ClaimedTask, method: string, path: string, body?: string, type = 'application/octet-stream') =>
      fetch(`${server.url}/api/runner/v1/tasks/${t.task.id}${path}`, {
        method,
        headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-agent': agent.agentId, 'x-circlet-task-credential': t.task.credential, ...(body !== undefined ? { 'content-type': type } : {}) },
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
      const notStream = await raw(agent, a, 'PUT', '/artifacts?path=x.json', '{"a":1}', 'application/json');
      expect(notStream.status).toBe(415);
      expect(((await notStream.json()) as any).message).toMatch(/octet-stream/);

      res = await raw(agent, a, 'POST', '/test-results', JSON.stringify({ tests: [{ name: 't1', classname: 'C', file: 'a.test.js', result: 'success', run_time: 1.5 }] }), 'application/json');
      expect(await res.json()).toEqual({ stored: 1 });

      expect(await (await raw(agent, a, 'PUT', '/caches/blob?key=deps-v1-abc', 'cache-1')).json()).toEqual({ result: 'saved' });
      expect(await (await raw(agent, a, 'PUT', '/caches/blob?key=deps-v1-abc', 'cache-2')).json()).toEqual({ result: 'exists' });
      await new Promise((r) => setTimeout(r, 5));
      expect(await (await raw(agent, a, 'PUT', '/caches/blob?key=deps-v1-abd', 'cache-3')).json()).toEqual({ result: 'saved' });
      const lookup: any = await (await raw(agent, a, 'POST', '/caches/lookup', JSON.stringify({ keys: ['nope-', 'deps-v1-'] }), 'application/json')).json();
      expect(lookup.key).toBe('deps-v1-abd');
      expect(await (await raw(agent, a, 'GET', '/caches/blob?key=deps-v1-abc')).text()).toBe('cache-1');
      expect(((await (await raw(agent, a, 'POST', '/caches/lookup', JSON.stringify({ keys: ['deps-v1-%'] }), 'application/json')).json()) as any).key).toBe(null);

      expect((await raw(agent, a, 'PUT', '/workspace', 'layer-from-a')).status).toBe(200);
      await agent.finish(a);
      await agent.finish(c);
      const b = (await agent.claim(1000))!;
      expect(b.job.name).toBe('b');
      const layers = ((await (await raw(agent, b, 'GET', '/workspace')).json()) as any).layers;
      expect(layers.map((l: any) => l.job_name)).toEqual(['a']);
      expect(await (await raw(agent, b, 'GET', `/workspace/${layers[0].id}`)).text()).toBe('layer-from-a');
      const timings = ((await (await raw(agent, b, 'GET', '/timings')).json()) as any).tests;
      expect(timings).toEqual([{ file: 'a.test.js', classname: 'C', name: 't1', run_time: 1.5 }]);
      expect((await raw(new ScriptedAgent({ url: server.url, token: runnerToken }), b, 'GET', '/workspace')).status).toBe(409);
      await agent.finish(b);

      // Through the API: v2 artifacts (listed, downloaded), tests; v1.1 equivalents.
      const n = a.job.number;
      const arts = await server.call('GET', `/api/v2/project/gh/acme/out/${n}/artifacts`, token);
      expect(arts.body.items).toHaveLength(1);
      expect(arts.body.items[0]).toMatchObject({ path: 'reports/out.txt', node_index: 0 });
      const dl = await fetch(arts.body.items[0].url, { headers: { 'Circle-Token': token } });
      expect(dl.status).toBe(200);
      expect(dl.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await dl.text()).toBe('hello');
      expect((await fetch(arts.body.items[0].url)).status).toBe(401);
      expect((await fetch(arts.body.items[0].url.replace('out.txt', '../../x'), { headers: { 'Circle-Token': token } })).status).toBe(404);
      const tests = await server.call('GET', `/api/v2/project/gh/acme/out/${n}/tests`, token);
      // CircleCI sends a string, empty when there is none (issue 13): clients parse it as one.
      expect(tests.body.items).toEqual([{ message: '', source: '', run_time: 1.5, file: 'a.test.js', result: 'success', name: 't1', classname: 'C' }]);
      const v1arts = await server.call('GET', `/api/v1.1/project/github/acme/out/${n}/artifacts`, token);
      expect(v1arts.body[0]).toMatchObject({ path: 'reports/out.txt', pretty_path: 'reports/out.txt', node_index: 0 });
      const v1tests = await server.call('GET', `/api/v1.1/project/gh/acme/out/${n}/tests`, token);
      expect(v1tests.body.tests[0].name).toBe('t1');
      const latest = await server.call('GET', `/api/v1.1/project/github/acme/out/latest/artifacts?branch=main`, token);
      expect(latest.status).toBe(200);
      expect(Array.isArray(latest.body)).toBe(true);

      // Step output: raw text, and the presigned output URL of the v1.1 steps.
      const rawOut = await server.call('GET', `/api/private/output/raw/github/acme/out/${n}/output/0/0`, token);
      expect(rawOut.text).toBe('running a\n');
      const { v1BuildSteps } = await import('../../src/http/v1/services/step-output.ts');
      const { getJob } = await import('../../src/storage/jobs.ts');
      const job = (await getJob(server.database.db, a.job.id))!;
      const steps = await v1BuildSteps({ database: server.database, secrets: server.secrets, engine: server.engine }, job);
      expect(steps[0]!.actions[0]).toMatchObject({ index: 0, step: 0, name: 'scripted', status: 'success', exit_code: 0, has_output: true });
      const outUrl = (steps[0]!.actions[0] as { output_url: string }).output_url;
      const output = await (await fetch(outUrl)).json();
      expect(output).toEqual([{ type: 'out', time: expect.any(String), message: 'running a\n' }]);
      expect((await fetch(outUrl.replace(/sig=[0-9a-f]+/, 'sig=' + '0'.repeat(64)))).status).toBe(403);

      const build = await server.call('GET', `/api/v1.1/project/github/acme/out/${n}`, token);
      expect(build.body.steps[0].actions[0]).toMatchObject({ index: 0, step: 0, name: 'scripted', status: 'success', has_output: true });
      expect(await (await fetch(build.body.steps[0].actions[0].output_url)).json()).toEqual(output);

      // Live stream of a finished job: its steps, output and end.
      const sse = await (await fetch(`${server.url}/api/v2/jobs/${a.job.id}/output/stream`, { headers: { 'Circle-Token': token } })).text();
      expect(sse).toContain('event: output');
      expect(sse).toContain('running a');
      expect(sse).toMatch(/event: end\ndata: {"status":"success"}/);
    });
  });
}
