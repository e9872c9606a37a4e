// End to end over HTTP on real git repositories, on SQLite and PostgreSQL: failures and
// not_run, flexible requires, cancel (workflow, job by number, job by id), rerun, filters,
// matrix, setup + continue, contexts, lease lapse, runner filtering, and every `errored` cause.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, putContextEnvVar } from '../../src/storage/contexts.ts';
import { findOrganization } from '../../src/storage/organizations.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { runnerTokenFor } from '../helpers/runner.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent, type ClaimedTask } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const LEASE_MS = 1_000;

const machine = (name: string, extra = '') => `  ${name}:\n    machine: true\n${extra}    steps: [{run: echo ${name}}]\n`;
const docker = (name: string) => `  ${name}:\n    docker: [{image: cimg/base:stable}]\n    steps: [{run: echo ${name}}]\n`;

for (const kind of databaseKinds()) {
  describe(`engine scenarios (${kind.name})`, () => {
    let server: TestServer;
    let token: string;
    let aliceId: string;
    let runnerToken: string;
    let n = 0;

    beforeAll(async () => {
      server = await startTestServer(kind, { leaseMs: LEASE_MS });
      const alice = await server.user('alice', 'acme');
      token = alice.token;
      aliceId = alice.user.id;
      runnerToken = await createRunnerToken(server.database.db, 'test');
    });
    afterAll(async () => server?.close());

    const agent = (opts: Partial<ConstructorParameters<typeof ScriptedAgent>[0]> = {}) => new ScriptedAgent({ url: server.url, token: runnerToken, ...opts });

    /** A project on a fresh repository with `config`; returns its slug and repo. */
    async function project(config?: string) {
      const name = `p${++n}`;
      const repo = makeRepo(config);
      await server.project(`gh/acme/${name}`, repo.dir);
      return { slug: `gh/acme/${name}`, repo };
    }

    async function trigger(slug: string, body: Record<string, unknown> = {}) {
      const res = await server.call('POST', `/api/v2/project/${slug}/pipeline`, token, body);
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    }

    async function pipeline(id: string) {
      const res = await server.call('GET', `/api/v2/pipeline/${id}`, token);
      expect(res.status, res.text).toBe(200);
      return res.body;
    }

    async function workflows(pipelineId: string): Promise<any[]> {
      return (await server.call('GET', `/api/v2/pipeline/${pipelineId}/workflow`, token)).body.items;
    }

    async function jobs(workflowId: string): Promise<Record<string, any>> {
      const items = (await server.call('GET', `/api/v2/workflow/${workflowId}/job`, token)).body.items as any[];
      return Object.fromEntries(items.map((j) => [j.name, j]));
    }

    async function statuses(workflowId: string): Promise<Record<string, string>> {
      return Object.fromEntries(Object.entries(await jobs(workflowId)).map(([k, j]) => [k, j.status]));
    }

    async function workflow(id: string) {
      return (await server.call('GET', `/api/v2/workflow/${id}`, token)).body;
    }

    it('a failure leaves not_run below it; flexible requires run on failed and terminal', async () => {
      const config = `version: 2.1
jobs:
${machine('build')}${machine('test')}${machine('deploy')}${machine('rollback')}${machine('report')}
workflows:
  main:
    jobs:
      - build
      - test: {requires: [build]}
      - deploy: {requires: [test]}
      - rollback: {requires: [{test: failed}]}
      - report: {requires: [{deploy: terminal}]}
`;
      const { slug } = await project(config);
      const id = await trigger(slug);
      const ran = await agent({ outcomes: { test: 'failed' } }).drain();
      expect(ran.map((t) => t.job.name).sort()).toEqual(['build', 'report', 'rollback', 'test']);
      const [wf] = await workflows(id);
      expect(await statuses(wf.id)).toEqual({ build: 'success', test: 'failed', deploy: 'not_run', rollback: 'success', report: 'success' });
      expect(wf.status).toBe('failed');
      expect(wf.stopped_at).toBeTruthy();
      expect((await pipeline(id)).state).toBe('created');
    });

    it('reruns from failed: a new workflow of the same name that reruns only the failure and what is below it', async () => {
      const config = `version: 2.1
jobs:
${machine('build')}${machine('test')}${machine('deploy')}${machine('docs')}
workflows:
  main:
    jobs:
      - build
      - docs
      - test: {requires: [build]}
      - deploy: {requires: [test]}
`;
      const { slug } = await project(config);
      const id = await trigger(slug);
      await agent({ outcomes: { test: 'failed' } }).drain();
      const [first] = await workflows(id);
      expect(first.status).toBe('failed');
      const before = await jobs(first.id);

      // Rejected combinations.
      for (const body of [{ from_failed: true, jobs: [before.test.id] }, { enable_ssh: true }, { sparse_tree: true }, { from_failed: true, enable_ssh: true }]) {
        const bad = await server.call('POST', `/api/v2/workflow/${first.id}/rerun`, token, body);
        expect(bad.status, JSON.stringify(body)).toBe(400);
      }

      const res = await server.call('POST', `/api/v2/workflow/${first.id}/rerun`, token, { from_failed: true });
      expect(res.status, res.text).toBe(202);
      expect(Object.keys(res.body)).toEqual(['workflow_id']);
      const second = await workflow(res.body.workflow_id);
      expect(second.name).toBe('main');
      expect(second.pipeline_id).toBe(id);
      const ran = await agent().drain();
      expect(ran.map((t) => t.job.name).sort()).toEqual(['deploy', 'test']);
      const after = await jobs(second.id);
      expect(after.build.status).toBe('success');
      expect(after.build.job_number).toBe(before.build.job_number);
      expect(after.test.job_number).toBeGreaterThan(before.deploy.job_number ?? before.test.job_number);
      expect(after.deploy.status).toBe('success');
      expect((await workflow(second.id)).status).toBe('success');
      expect((await workflows(id)).map((w) => w.name)).toEqual(['main', 'main']);

      // A successful workflow has nothing to rerun from failed.
      expect((await server.call('POST', `/api/v2/workflow/${second.id}/rerun`, token, { from_failed: true })).status).toBe(400);

      // jobs + sparse_tree + enable_ssh: only the chosen job and what is below it, with SSH.
      const sparse = await server.call('POST', `/api/v2/workflow/${second.id}/rerun`, token, { jobs: [after.test.id], sparse_tree: true, enable_ssh: true });
      expect(sparse.status, sparse.text).toBe(202);
      const claimed = await agent().drain();
      expect(claimed.map((t) => [t.job.name, t.job.ssh_enabled])).toEqual([
        ['test', true],
        ['deploy', false],
      ]);
      expect(Object.keys(await statuses(sparse.body.workflow_id)).sort()).toEqual(['deploy', 'test']);

      // A full rerun runs everything again.
      const full = await server.call('POST', `/api/v2/workflow/${second.id}/rerun`, token, {});
      expect(full.status).toBe(202);
      expect((await agent().drain()).length).toBe(4);
      expect((await workflow(full.body.workflow_id)).status).toBe('success');
    });

    it('cancels a workflow: queued jobs at once, the running one when its agent hears (within a second)', async () => {
      const config = `version: 2.1
jobs:
${machine('long')}${docker('waiting')}${machine('after')}
workflows:
  w:
    jobs: [long, waiting, {after: {requires: [long]}}]
`;
      const { slug } = await project(config);
      const id = await trigger(slug);
      const a = agent({ executors: ['machine'] });
      const task = (await a.claim(2_000))!;
      expect(task.job.name).toBe('long');
      const [wf] = await workflows(id);
      await waitFor(async () => (await statuses(wf.id)).long === 'running');

      const poll = a.cancellation(task, 5_000);
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      const cancel = await server.call('POST', `/api/v2/workflow/${wf.id}/cancel`, token);
      expect(cancel.status, cancel.text).toBe(202);
      const heard = await poll;
      expect(heard.status).toBe(200);
      expect(heard.body.cancel).toBe(true);
      expect(Date.now() - t0).toBeLessThan(1_000);

      expect(await statuses(wf.id)).toEqual({ long: 'running', waiting: 'canceled', after: 'blocked' });
      expect((await workflow(wf.id)).status).toBe('canceled');
      expect((await workflow(wf.id)).canceled_by).toBe(aliceId);
      expect((await a.complete(task, 'canceled')).status).toBe(200);
      expect(await statuses(wf.id)).toEqual({ long: 'canceled', waiting: 'canceled', after: 'not_run' });
      const done = await workflow(wf.id);
      expect(done.status).toBe('canceled');
      expect(done.stopped_at).toBeTruthy();
      expect((await a.heartbeat(task)).status).toBe(409);
      expect(await agent().claim(0)).toBeUndefined();
    });

    it('cancels jobs by id (running) and by number (queued); a job requiring a canceled one runs', async () => {
      const config = `version: 2.1
jobs:
${machine('one')}${docker('two')}${machine('three')}
workflows:
  w:
    jobs: [one, two, {three: {requires: [{two: canceled}]}}]
`;
      const { slug } = await project(config);
      const id = await trigger(slug);
      const a = agent({ executors: ['machine'] });
      const task = (await a.claim(2_000))!;
      expect(task.job.name).toBe('one');
      const [wf] = await workflows(id);
      const listed = await jobs(wf.id);

      const poll = a.cancellation(task, 5_000);
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      const byId = await server.call('POST', `/api/v2/jobs/${task.job.id}/cancel`, token);
      expect(byId.status, byId.text).toBe(200);
      expect((await poll).body.cancel).toBe(true);
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect((await a.complete(task, 'canceled')).status).toBe(200);

      const byNumber = await server.call('POST', `/api/v2/project/${slug}/job/${listed.two.job_number}/cancel`, token);
      expect(byNumber.status, byNumber.text).toBe(200);
      const details = await server.call('GET', `/api/v2/project/${slug}/job/${listed.two.job_number}`, token);
      expect(details.body.status).toBe('canceled');

      const ran = await agent().drain();
      expect(ran.map((t) => t.job.name)).toEqual(['three']);
      const final = await jobs(wf.id);
      expect(final.one.status).toBe('canceled');
      expect(final.one.canceled_by).toBe(aliceId);
      expect(final.two.status).toBe('canceled');
      expect(final.three.status).toBe('success');
      expect((await workflow(wf.id)).status).toBe('canceled');
      expect((await server.call('POST', `/api/v2/jobs/00000000-0000-4000-8000-000000000000/cancel`, token)).status).toBe(404);
    });

    it('a lapsed lease is infrastructure_fail with a message, and the workflow proceeds', async () => {
      const config = `version: 2.1
jobs:
${machine('flaky')}${machine('next')}${machine('cleanup')}
workflows:
  w:
    jobs: [flaky, {next: {requires: [flaky]}}, {cleanup: {requires: [{flaky: failed}]}}]
`;
      const { slug } = await project(config);
      const id = await trigger(slug);
      const silent = agent();
      const task = (await silent.claim(2_000))!;
      expect(task.task.lease_ms).toBe(LEASE_MS);
      const [wf] = await workflows(id);
      await waitFor(async () => (await statuses(wf.id)).flaky === 'infrastructure_fail', Boolean, { timeoutMs: 5_000 });
      const flaky = (await jobs(wf.id)).flaky;
      const details = await server.call('GET', `/api/v2/project/${slug}/job/${flaky.job_number}`, token);
      expect(details.body.messages.map((m: any) => m.message).join('\n')).toMatch(/lease expired/);
      expect((await silent.complete(task, 'success')).status).toBe(409);
      const ran = await agent().drain();
      expect(ran.map((t) => t.job.name)).toEqual(['cleanup']);
      expect(await statuses(wf.id)).toEqual({ flaky: 'infrastructure_fail', next: 'not_run', cleanup: 'success' });
      expect((await workflow(wf.id)).status).toBe('failed');
    });

    it('filters jobs by branch and tag', async () => {
      const config = `version: 2.1
jobs:
${machine('always')}${machine('main-only')}${machine('release')}
workflows:
  w:
    jobs:
      - always: {filters: {tags: {only: /.*/}}}
      - main-only: {filters: {branches: {only: main}}}
      - release: {filters: {tags: {only: /^v.*/}, branches: {ignore: /.*/}}}
`;
      const { slug, repo } = await project(config);
      repo.branch('dev');
      repo.commit({ 'a.txt': 'dev' });
      repo.checkout('main');
      repo.tag('v1.0');
      const names = async (body: Record<string, unknown>) => {
        const id = await trigger(slug, body);
        const ran = await agent().drain();
        const wfs = await workflows(id);
        expect(wfs.every((w) => w.status === 'success')).toBe(true);
        return { ran: ran.map((t) => t.job.name).sort(), pipeline: await pipeline(id) };
      };
      expect((await names({})).ran).toEqual(['always', 'main-only']);
      expect((await names({ branch: 'dev' })).ran).toEqual(['always']);
      const tagged = await names({ tag: 'v1.0' });
      expect(tagged.ran).toEqual(['always', 'release']);
      expect(tagged.pipeline.vcs.tag).toBe('v1.0');
      expect(tagged.pipeline.vcs.branch).toBeUndefined();
    });

    it('expands a matrix, and requiring its alias waits for every instance', async () => {
      const config = `version: 2.1
jobs:
  build:
    parameters:
      os: {type: string}
      v: {type: string}
    machine: true
    steps: [{run: echo << parameters.os >> << parameters.v >>}]
${machine('report')}
workflows:
  m:
    jobs:
      - build:
          matrix:
            parameters:
              os: [linux, mac]
              v: ["1", "2"]
            exclude:
              - {os: mac, v: "2"}
      - report: {requires: [build]}
`;
      const { slug } = await project(config);
      const id = await trigger(slug);
      const a = agent();
      const first = await a.drain();
      const builds = first.map((t) => t.job.name).filter((name) => name.startsWith('build'));
      expect(builds.length).toBe(3);
      expect(first.at(-1)!.job.name).toBe('report');
      const [wf] = await workflows(id);
      const st = await statuses(wf.id);
      expect(Object.keys(st).length).toBe(4);
      expect(Object.values(st).every((s) => s === 'success')).toBe(true);
      expect(wf.status).toBe('success');
    });

    it('runs the setup workflow, then continues once with the key given to the setup job', async () => {
      const setup = `version: 2.1
setup: true
jobs:
${machine('generate')}
workflows:
  setup:
    jobs: [generate]
`;
      const next = `version: 2.1
parameters:
  greeting: {type: string, default: hi}
jobs:
  after:
    machine: true
    steps: [{run: echo << pipeline.parameters.greeting >>}]
workflows:
  rest:
    jobs: [after]
`;
      const { slug } = await project(setup);
      const id = await trigger(slug);
      expect((await pipeline(id)).state).toBe('setup');
      const a = agent();
      const gen = (await a.claim(2_000))!;
      expect(gen.job.name).toBe('generate');
      const key = gen.environment.CIRCLE_CONTINUATION_KEY!;
      expect(key).toMatch(/^[0-9a-f]{40}$/);
      expect(JSON.stringify(gen.job.config)).not.toContain(key);

      const bad = await server.call('POST', '/api/v2/pipeline/continue', undefined, { 'continuation-key': 'f'.repeat(40), configuration: next });
      expect(bad.status).toBe(400);
      const ok = await server.call('POST', '/api/v2/pipeline/continue', undefined, { 'continuation-key': key, configuration: next, parameters: { greeting: 'hello' } });
      expect(ok.status, ok.text).toBe(200);
      const again = await server.call('POST', '/api/v2/pipeline/continue', undefined, { 'continuation-key': key, configuration: next });
      expect(again.status).toBe(400);

      await a.finish(gen);
      const ran = await a.drain();
      expect(ran.map((t) => t.job.name)).toEqual(['after']);
      expect(JSON.stringify(ran[0]!.job.config)).toContain('echo hello');
      const wfs = await workflows(id);
      expect(wfs.map((w) => [w.name, w.tag, w.status])).toEqual([
        ['setup', 'setup', 'success'],
        ['rest', null, 'success'],
      ]);
      const p = await pipeline(id);
      expect(p.state).toBe('created');
      const cfg = (await server.call('GET', `/api/v2/pipeline/${id}/config`, token)).body;
      expect(cfg['setup-config']).toContain('setup: true');
      expect(cfg.source).toContain('greeting');
    });

    it('errors a setup pipeline whose continuation does not compile', async () => {
      const setup = `version: 2.1\nsetup: true\njobs:\n${machine('generate')}workflows:\n  setup:\n    jobs: [generate]\n`;
      const { slug } = await project(setup);
      const id = await trigger(slug);
      const a = agent();
      const gen = (await a.claim(2_000))!;
      const res = await server.call('POST', '/api/v2/pipeline/continue', undefined, {
        'continuation-key': gen.environment.CIRCLE_CONTINUATION_KEY,
        configuration: 'version: 2.1\njobs: {x: {machine: true, steps: [{run: "<< pipeline.parameters.nope >>"}]}}\nworkflows: {w: {jobs: [x]}}\n',
      });
      expect(res.status).toBe(400);
      await a.finish(gen);
      const p = await pipeline(id);
      expect(p.state).toBe('errored');
      expect(p.errors[0].type).toBe('config');
    });

    it('refuses a continuation whose parameters conflict with the ones the pipeline was triggered with', async () => {
      const params = 'parameters:\n  greeting: {type: string, default: hi}\n';
      const setup = `version: 2.1\nsetup: true\n${params}jobs:\n${machine('generate')}workflows:\n  setup:\n    jobs: [generate]\n`;
      const next = `version: 2.1\n${params}jobs:\n${machine('after')}workflows:\n  rest:\n    jobs: [after]\n`;
      const { slug } = await project(setup);
      const id = await trigger(slug, { parameters: { greeting: 'hey' } });
      const a = agent();
      const gen = (await a.claim(2_000))!;
      const res = await server.call('POST', '/api/v2/pipeline/continue', undefined, {
        'continuation-key': gen.environment.CIRCLE_CONTINUATION_KEY,
        configuration: next,
        parameters: { greeting: 'hello' },
      });
      expect(res.status).toBe(400);
      expect(res.text).toContain('Conflicting pipeline parameters.');
      await a.finish(gen);
      const p = await pipeline(id);
      expect(p.state).toBe('errored');
      expect(p.errors.map((e: { message: string }) => e.message)).toContain('Conflicting pipeline parameters.');
    });

    it('gives a job its contexts; a context that does not exist makes it unauthorized with a message', async () => {
      const org = (await findOrganization(server.database.db, 'github', 'acme'))!;
      const ctx = await createContext(server.database.db, org.id, `creds-${kind.name}`);
      if (!ctx.ok) throw new Error('context');
      await putContextEnvVar(server.database.db, server.secrets, ctx.context.id, 'DEPLOY_TOKEN', 's3cret');
      const config = `version: 2.1
jobs:
${machine('deploy')}${machine('missing')}${machine('later')}
workflows:
  w:
    jobs:
      - deploy: {context: [creds-${kind.name}]}
      - missing: {context: nope}
      - later: {requires: [missing]}
`;
      const { slug } = await project(config);
      const id = await trigger(slug);
      const a = agent();
      const t = (await a.claim(2_000))!;
      expect(t.job.name).toBe('deploy');
      const secrets = await a.secrets(t);
      expect(secrets.status).toBe(200);
      expect(secrets.body.environment.DEPLOY_TOKEN).toBe('s3cret');
      expect(JSON.stringify(t)).not.toContain('s3cret');
      await a.finish(t);
      expect(await a.drain()).toEqual([]);
      const [wf] = await workflows(id);
      const listed = await jobs(wf.id);
      expect(listed.missing.status).toBe('unauthorized');
      expect(listed.later.status).toBe('not_run');
      const details = await server.call('GET', `/api/v2/project/${slug}/job/${listed.missing.job_number}`, token);
      expect(details.body.messages[0].message).toMatch(/context "nope" does not exist/);
      expect(wf.status).toBe('unauthorized');
    });

    it('offers a job only to agents of its resource class and executor', async () => {
      const config = `version: 2.1
jobs:
  gpu:
    machine: true
    resource_class: acme/gpu
    steps: [{run: nvidia-smi}]
workflows:
  w:
    jobs: [gpu]
`;
      const otherClass = await runnerTokenFor(server.database.db, 'other', 'acme/cpu');
      const gpuToken = await runnerTokenFor(server.database.db, 'gpu', 'acme/gpu');
      const { slug } = await project(config);
      const id = await trigger(slug);
      expect(await agent().claim(0)).toBeUndefined();
      expect(await agent({ token: otherClass }).claim(0)).toBeUndefined();
      expect(await agent({ token: gpuToken, executors: ['docker'] }).claim(0)).toBeUndefined();
      const gpu = agent({ token: gpuToken, executors: ['machine'] });
      const t = (await gpu.claim(0))!;
      expect(t.job.resource_class).toBe('acme/gpu');
      // Output chunks are idempotent per seq.
      await gpu.call(`/tasks/${t.task.id}/steps`, { index: 0, name: 'run', type: 'run' });
      for (let i = 0; i < 2; i++) expect((await gpu.call(`/tasks/${t.task.id}/steps/0/output`, { seq: 0, data: 'once\n' })).status).toBe(200);
      const rows = await server.database.db.selectFrom('step_output').select('data').where('task_id', '=', t.task.id).execute();
      expect(rows.map((r) => r.data)).toEqual(['once\n']);
      // Another agent cannot act on the task: without its credential, nor with it.
      expect((await agent({ token: gpuToken }).complete(t, 'success')).status).toBe(401);
      expect((await agent({ token: gpuToken }).call(`/tasks/${t.task.id}/complete`, { status: 'success' }, { 'x-circlet-task-credential': t.task.credential })).status).toBe(409);
      expect((await gpu.complete(t, 'success')).status).toBe(200);
      expect((await workflows(id))[0].status).toBe('success');
      const noAuth = await fetch(`${server.url}/api/runner/v1/claim`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"agent_id":"x"}' });
      expect(noAuth.status).toBe(401);
    });

    describe('errored pipelines', () => {
      const expectErrored = async (id: string, type: string, message: RegExp) => {
        const p = await pipeline(id);
        expect(p.state).toBe('errored');
        expect(p.errors.length).toBeGreaterThan(0);
        expect(p.errors[0].type).toBe(type);
        expect(p.errors.map((e: any) => e.message).join('\n')).toMatch(message);
        expect(await workflows(id)).toEqual([]);
      };

      it('config-fetch: an unknown branch or tag', async () => {
        const { slug } = await project(`version: 2.1\njobs:\n${machine('a')}workflows:\n  w:\n    jobs: [a]\n`);
        await expectErrored(await trigger(slug, { branch: 'nope' }), 'config-fetch', /nope/);
        await expectErrored(await trigger(slug, { tag: 'v9' }), 'config-fetch', /v9/);
      });

      it('config-fetch: no .circleci/config.yml at the revision', async () => {
        const { slug, repo } = await project();
        repo.commit({ 'README.md': 'hi' });
        await expectErrored(await trigger(slug), 'config-fetch', /config\.yml/);
      });

      it('config: invalid YAML', async () => {
        const { slug } = await project('version: 2.1\njobs: [unclosed\n');
        await expectErrored(await trigger(slug), 'config', /./);
      });

      it('config: an unknown pipeline parameter', async () => {
        const { slug } = await project(`version: 2.1\njobs:\n${machine('a')}workflows:\n  w:\n    jobs: [a]\n`);
        await expectErrored(await trigger(slug, { parameters: { nope: 1 } }), 'config', /nope/);
      });

      it('config: an orb that cannot be resolved', async () => {
        const { slug } = await project(`version: 2.1\norbs:\n  x: acme/missing@1.0.0\njobs:\n${machine('a')}workflows:\n  w:\n    jobs: [a]\n`);
        await expectErrored(await trigger(slug), 'config', /acme\/missing/);
      });

      it('no workflow to run: created, with no workflows', async () => {
        const { slug } = await project(`version: 2.1\njobs:\n${machine('a')}workflows:\n  w:\n    jobs: [{a: {filters: {branches: {only: release}}}}]\n`);
        const id = await trigger(slug);
        const p = await pipeline(id);
        expect(p.state).toBe('created');
        expect(p.errors).toEqual([]);
        expect(await workflows(id)).toEqual([]);
      });
    });

    it('records who approved an approval job', async () => {
      const { slug } = await project(`version: 2.1\njobs:\n${machine('a')}workflows:\n  w:\n    jobs: [{hold: {type: approval}}, {a: {requires: [hold]}}]\n`);
      const id = await trigger(slug);
      const [wf] = await workflows(id);
      expect(wf.status).toBe('on_hold');
      const hold = (await jobs(wf.id)).hold;
      expect(hold.status).toBe('on_hold');
      expect(hold.approval_request_id).toBeTruthy();
      expect((await server.call('POST', `/api/v2/workflow/${wf.id}/approve/${hold.approval_request_id}`, token)).status).toBe(202);
      expect((await server.call('POST', `/api/v2/workflow/${wf.id}/approve/${hold.approval_request_id}`, token)).status).toBe(400);
      const after = (await jobs(wf.id)).hold;
      expect(after.status).toBe('success');
      expect(after.approved_by).toBe(aliceId);
      const ran: ClaimedTask[] = await agent().drain();
      expect(ran.map((t) => t.job.name)).toEqual(['a']);
      expect((await workflow(wf.id)).status).toBe('success');
    });
  });
}
