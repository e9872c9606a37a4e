// Attack: a config sent through the API takes the server down (issue 18, items 1 and 2), over
// real HTTP: inline config in pipeline/run and compile-config-with-defaults, on SQLite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const kind = databaseKinds()[0]!;

describe(`compiles requested over HTTP (${kind.name})`, () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer(kind);
    token = (await server.user('alice', 'acme')).token;
    const repo = makeRepo();
    repo.commit({ '.circleci/config.yml': 'version: 2.1\njobs: {a: {machine: true, steps: [checkout]}}\nworkflows: {w: {jobs: [a]}}\n' });
    await server.project('gh/acme/demo', repo.dir);
  });
  afterAll(async () => server?.close());

  it('parallelism: 1000000000 in an inline config is an errored pipeline naming the field; the server stays up', async () => {
    const content = 'version: 2.1\njobs:\n  a:\n    machine: true\n    parallelism: 1000000000\n    steps: [checkout]\nworkflows: {w: {jobs: [a]}}\n';
    const r = await server.call('POST', '/api/v2/project/gh/acme/demo/pipeline/run', token, { config: { branch: 'main', content } });
    expect(r.status).toBe(201);
    const p = await server.call('GET', `/api/v2/pipeline/${r.body.id}`, token);
    expect(p.body.state).toBe('errored');
    expect(JSON.stringify(p.body.errors)).toMatch(/parallelism is 1000000000; at most 200 is allowed/);
    expect((await server.call('GET', '/healthz')).status).toBe(200);
  });
  it('the regex bomb through compile-config-with-defaults answers at once', async () => {
    const config = `version: 2.1\njobs: {a: {machine: true, steps: [checkout]}}\nworkflows:\n  w:\n    when: {matches: {pattern: "^(a+)+$", value: "${'a'.repeat(40)}!"}}\n    jobs: [a]\n  v: {jobs: [a]}\n`;
    const t0 = performance.now();
    const r = await server.call('POST', '/api/v2/compile-config-with-defaults', token, { config_yaml: config });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.status).toBe(200);
    expect(r.body.valid).toBe(true);
    expect(r.body['output-yaml']).not.toContain('\n  w:');
  });
  it('/healthz answers while a slow config compiles', async () => {
    // ~1 MB of YAML: a second or more of parsing in the compile worker, none on the event loop.
    const junk = Array.from({ length: 30_000 }, (_, i) => `  - {k: v${i}, n: [1, 2, 3]}`).join('\n');
    const config = `version: 2.1\nx-junk:\n${junk}\njobs: {a: {machine: true, steps: [checkout]}}\nworkflows: {w: {jobs: [a]}}\n`;
    expect(config.length).toBeLessThan(2 * 1024 * 1024);
    let done = false;
    const compile = server.call('POST', '/api/v2/compile-config-with-defaults', token, { config_yaml: config }).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    const latencies: number[] = [];
    while (!done && latencies.length < 50) {
      const t0 = performance.now();
      expect((await server.call('GET', '/healthz')).status).toBe(200);
      // Only answers given while the compile was still running count.
      if (!done) latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await compile;
    expect(r.body.valid).toBe(true);
    expect(latencies.length).toBeGreaterThan(0);
    expect(Math.max(...latencies)).toBeLessThan(500);
  });
});
