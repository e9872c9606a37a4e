// `circlet agent` as a separate process, and the agent embedded in `circlet serve`:
// the same protocol over HTTP; killing an agent mid-job; draining on SIGTERM.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/agent/logger.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { runnerTokenFor } from '../helpers/runner.ts';
import { capture, childEnv, getJson, killAll, ROOT, runCli, startServe } from '../cli/child.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { Harness } from './harness.ts';

const BIN = path.join(ROOT, 'bin/circlet.js');

interface AgentProcess {
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();
const pidFiles: string[] = [];

function startAgent(url: string, token: string, args: string[] = []): Promise<AgentProcess> {
  const child = spawn(process.execPath, [BIN, 'agent', '--server', url, '--token', token, ...args], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const io = capture(child, children);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start\n${io.out}\n${io.err}`)), 30_000);
    child.stdout!.on('data', () => {
      if (io.out.includes('polling')) {
        clearTimeout(timer);
        resolve({ child, out: () => io.out, err: () => io.err, exited: io.exited });
      }
    });
    void io.exited.then((e) => reject(new Error(`agent exited early (${e.code ?? e.signal})\n${io.out}\n${io.err}`)));
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // Zombies (an init that does not reap) count as gone.
  try {
    const out = execFileSync('ps', ['-o', 'stat=', '-g', String(pgid)], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return out.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('Z'));
  } catch {
    return false;
  }
}

afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  // Jobs of an agent killed with SIGKILL are orphans: end them here.
  for (const f of pidFiles.splice(0)) {
    try {
      process.kill(-Number(fs.readFileSync(f, 'utf8').trim()), 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  killAll();
});

for (const kind of databaseKinds()) {
  describe(`circlet agent process (${kind.name})`, () => {
    let h: Harness;
    let inProcess: EmbeddedAgent | undefined;
    beforeAll(async () => {
      h = await Harness.start(kind, { leaseMs: 1_500 });
    });
    afterAll(async () => {
      await inProcess?.stop(0);
      await h?.close();
    });

    it('runs checkout and run steps with env precedence and masked secrets', async () => {
      const { slug, repo } = await h.project(
        `
version: 2.1
jobs:
  build:
    machine: true
    environment: {LAYER: job, PJ: job}
    steps:
      - checkout
      - run:
          name: env
          environment: {LAYER: step}
          command: |
            echo "layer=$LAYER pj=$PJ po=$PO node=$CIRCLE_NODE_INDEX"
            cat README.md
            echo "secret=$TOKEN_VALUE"
  indocker:
    docker:
      - image: cimg/base:stable
        environment: {IMG: image, BOTH: image}
    environment: {BOTH: job}
    steps:
      - run: {name: env, command: 'echo "img=$IMG both=$BOTH"'}
workflows: {main: {jobs: [build, indocker]}}
`,
        { env: { PJ: 'pj', PO: 'po', TOKEN_VALUE: 'very-secret-token' } },
      );
      repo.commit({ 'README.md': 'from the repo\n' });
      const agent = await startAgent(h.server.url, h.runnerToken, ['--work-dir', tempDir('circlet-agent-work-'), '--docker-on-host', '--concurrency', '2']);
      expect(agent.out()).toMatch(/\(machine, docker\)/);
      const id = await h.trigger(slug);
      await h.waitDone(id);
      const { build, indocker } = await h.jobs(id);
      expect(build.status).toBe('success');
      expect(Harness.step(build, 'env').output).toBe('layer=step pj=job po=po node=0\nfrom the repo\nsecret=********\n');
      expect(indocker.status).toBe('success');
      expect(Harness.step(indocker, 'Spin up environment').output).toMatch(/cimg\/base:stable not used: this agent maps docker jobs to the host/);
      expect(Harness.step(indocker, 'env').output).toBe('img=image both=job\n');
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toMatchObject({ code: 0 });
    });

    it('exits 1 with a clear message when the server refuses the token', async () => {
      const r = await runCli(['agent', '--server', h.server.url, '--token', 'not-a-token']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/refused the runner token \(401\)/);
    });

    it('a killed agent\'s job ends as infrastructure_fail after its lease; the rest of the workflow is unaffected', async () => {
      const pidFile = path.join(tempDir('circlet-pid-'), 'pid');
      pidFiles.push(pidFile);
      const { slug } = await h.project(`
version: 2.1
jobs:
  doomed:
    machine: true
    resource_class: acme/doomed
    steps:
      - run: {name: hang, command: 'echo $$ > ${pidFile}; echo started; sleep 600'}
  sibling:
    machine: true
    steps:
      - run: {name: ok, command: 'sleep 1; echo sibling ok'}
workflows: {main: {jobs: [doomed, sibling]}}
`);
      const doomedToken = await runnerTokenFor(h.server.database.db, 'doomed', 'acme/doomed');
      const workDir = tempDir('circlet-doomed-work-');
      const agent = await startAgent(h.server.url, doomedToken, ['--work-dir', workDir]);
      inProcess = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 1, logger: silentLogger });
      const id = await h.trigger(slug);
      await h.waitFor(async () => (await h.jobs(id)).doomed?.tasks[0]?.steps.find((s) => s.name === 'hang')?.output.includes('started'), 20_000, 'the doomed job to start');
      agent.child.kill('SIGKILL');
      const killedAt = Date.now();
      await h.waitDone(id);
      const jobs = await h.jobs(id);
      expect(jobs.doomed!.status).toBe('infrastructure_fail');
      expect(jobs.doomed!.tasks[0]!.message).toMatch(/lease expired/);
      // The step the dead agent left open ends with its task instead of staying `running`.
      expect(jobs.doomed!.tasks[0]!.steps.find((s) => s.name === 'hang')!.status).toBe('failed');
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_000);
      expect(jobs.sibling!.status, JSON.stringify(jobs.sibling)).toBe('success');
      expect(Harness.step(jobs.sibling!, 'ok').output).toBe('sibling ok\n');
      expect((await h.workflows(id))[0]!.status).toBe('failed');
      await inProcess.stop(0);
      inProcess = undefined;
      // The dead agent's job still runs (nobody supervises it) until an agent starts on the
      // same work dir: that one sweeps the leftovers first.
      const leader = Number(fs.readFileSync(pidFile, 'utf8').trim());
      expect(groupAlive(leader)).toBe(true);
      const successor = await startAgent(h.server.url, doomedToken, ['--work-dir', workDir]);
      await h.waitFor(async () => !groupAlive(leader) && fs.readdirSync(workDir).length === 0, 5_000, 'the orphaned job to be swept');
      successor.child.kill('SIGTERM');
      await successor.exited;
    });

    it('drains on SIGTERM: finishes its running job, claims no more, exits 0', async () => {
      const { slug } = await h.project(`
version: 2.1
jobs:
  work:
    machine: true
    steps:
      - run: {name: work, command: 'echo started; sleep 1.5; echo finished'}
workflows: {main: {jobs: [work]}}
`);
      const agent = await startAgent(h.server.url, h.runnerToken);
      const first = await h.trigger(slug);
      await h
        .waitFor(async () => (await h.jobs(first)).work?.tasks[0]?.steps.find((s) => s.name === 'work')?.output.includes('started'), 20_000, 'the job to start')
        .catch(async (err) => {
          throw new Error(`${err}\n${agent.out()}\n${agent.err()}\n${JSON.stringify(await h.jobs(first))}`);
        });
      agent.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      const second = await h.trigger(slug);
      const end = await agent.exited;
      expect(end).toMatchObject({ code: 0, signal: null });
      const jobs = await h.jobs(first);
      expect(jobs.work!.status).toBe('success');
      expect(Harness.step(jobs.work!, 'work').output).toBe('started\nfinished\n');
      const later = await h.jobs(second);
      expect(later.work!.status).toBe('queued');
      // Let a fresh agent take the queued job so the next test starts clean.
      const next = await startAgent(h.server.url, h.runnerToken);
      await h.waitDone(second);
      next.child.kill('SIGTERM');
      await next.exited;
    });

    it('hands back jobs still running when the drain time is over, as infrastructure_fail', async () => {
      const { slug } = await h.project(`
version: 2.1
jobs:
  forever:
    machine: true
    steps:
      - run: {name: forever, command: 'echo started; sleep 600'}
workflows: {main: {jobs: [forever]}}
`);
      const agent = await startAgent(h.server.url, h.runnerToken, ['--drain-timeout', '0.5']);
      const id = await h.trigger(slug);
      await h.waitFor(async () => (await h.jobs(id)).forever?.tasks[0]?.steps.find((s) => s.name === 'forever')?.output.includes('started'), 20_000, 'the job to start');
      const t0 = Date.now();
      agent.child.kill('SIGTERM');
      const end = await agent.exited;
      expect(end.code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5_000);
      const jobs = await h.jobs(id);
      expect(jobs.forever!.status).toBe('infrastructure_fail');
      expect(jobs.forever!.tasks[0]!.message).toMatch(/agent was shut down/);
      expect(Harness.step(jobs.forever!, 'forever').status).toBe('canceled');
    });
  });
}

describe('circlet serve with its embedded agent', () => {
  it('runs a pipeline end to end with no separate agent', async () => {
    const dir = tempDir('circlet-serve-agent-');
    try {
      const server = await startServe(['--port', '0', '--data-dir', dir, '--docker-on-host']);
      const token = fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
      const repo = makeRepo(`
version: 2.1
jobs:
  hello:
    docker: [{image: cimg/base:stable}]
    steps: [checkout, {run: {name: hi, command: 'echo hello from $CIRCLE_JOB; ls .circleci'}}]
  machine-job:
    machine: true
    steps: [{run: {name: hi, command: 'echo machine ok'}}]
workflows: {main: {jobs: [hello, machine-job]}}
`);
      const added = await runCli(['project', 'add', 'gh/admin/embedded', '--repo', repo.dir, '--owner', 'admin', '--data-dir', dir]);
      expect(added.code, added.stderr).toBe(0);
      const trig = await fetch(`${server.url}/api/v2/project/gh/admin/embedded/pipeline`, { method: 'POST', headers: { 'Circle-Token': token, 'content-type': 'application/json' }, body: '{}' });
      expect(trig.status).toBe(201);
      const pipeline = (await trig.json()) as { id: string };
      const end = Date.now() + 30_000;
      let status = '';
      while (Date.now() < end) {
        const wfs = (await getJson(`${server.url}/api/v2/pipeline/${pipeline.id}/workflow`, token)).body?.items ?? [];
        status = wfs[0]?.status ?? '';
        if (['success', 'failed', 'error', 'canceled'].includes(status)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe('success');
      const stopped = await server.stop('SIGTERM');
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(5_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
