// The agent end to end over HTTP, in-process (the code path `circlet serve` embeds): real
// processes, real git, on SQLite and PostgreSQL.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { silentLogger } from '../../src/agent/logger.ts';
import { Agent } from '../../src/agent/agent.ts';
import { createCheckoutKey } from '../../src/storage/checkout-keys.ts';
import { runnerTokenFor } from '../helpers/runner.ts';
import { makeRepo } from '../helpers/git.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { Harness } from './harness.ts';

const EVERYTHING = `
version: 2.1
executors:
  box:
    machine: true
    environment:
      EXEC_VAR: executor
      LAYER: executor
jobs:
  build:
    executor: box
    working_directory: ~/work
    environment:
      JOB_VAR: job
      LAYER: job
      CIRCLE_JOB: job-wins
      PJ: job
    steps:
      - checkout
      - run:
          name: env
          environment:
            STEP_VAR: step
            LAYER: step
          command: |
            echo "layer=$LAYER exec=$EXEC_VAR job=$JOB_VAR step=$STEP_VAR"
            echo "project=$PO ctx=$CO both=$PC pj=$PJ branch=$CIRCLE_BRANCH circlejob=$CIRCLE_JOB node=$CIRCLE_NODE_INDEX/$CIRCLE_NODE_TOTAL"
            echo "pwd=$(pwd)"
            cat README.md
            echo "head=$(git rev-parse HEAD) branch=$(git rev-parse --abbrev-ref HEAD)"
            echo "agent-env=\${CIRCLET_AGENT_ONLY:-absent}"
      - run:
          name: shell and dir
          shell: /bin/sh -eu
          working_directory: sub/dir
          command: |
            echo "dir=$(pwd)"
            echo "comm=$(ps -p $$ -o comm=)"
      - checkout:
          path: copy
      - run: {name: copy, command: 'ls copy; test -d copy/.git'}
      - run: {name: secret, command: 'echo "the secret is $PROJ_SECRET and $CTX_SECRET"; printf "%s" "$PROJ_SECRET" | head -c 5; sleep 0.3; printf "%s\\n" "$PROJ_SECRET" | tail -c +6'}
      - run: {name: bg, background: true, command: 'sleep 0.3; echo bg-finished > bg.txt; echo bg says hi; sleep 600'}
      - run: {name: wait for bg, command: 'for i in $(seq 400); do [ -s bg.txt ] && break; sleep 0.05; done; cat bg.txt'}
      - setup_remote_docker
      - run: {name: fail, command: 'echo failing; exit 7'}
      - run: {name: skipped, command: echo should not run}
      - run: {name: on fail, when: on_fail, command: echo ran on fail}
      - run: {name: always, when: always, command: echo ran always}
      - run: {name: on success, when: on_success, command: echo nope}
workflows:
  main:
    jobs:
      - build: {context: [shared]}
`;

const SECRET = 's3cr3t-project-value';
const CTX_SECRET = 'ctx-secret-value';

for (const kind of databaseKinds()) {
  describe(`agent end to end (${kind.name})`, () => {
    let h: Harness;
    let embedded: EmbeddedAgent;
    beforeAll(async () => {
      h = await Harness.start(kind);
      process.env.CIRCLET_AGENT_ONLY = 'leaks';
      embedded = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 3, logger: silentLogger });
    });
    afterAll(async () => {
      delete process.env.CIRCLET_AGENT_ONLY;
      await embedded?.stop(0);
      await h?.close();
    });

    it('runs checkout and run steps with every option, CircleCI env precedence and masked secrets', async () => {
      const { slug, repo } = await h.project(EVERYTHING, {
        env: { PO: 'po', PC: 'p', PJ: 'pj', PROJ_SECRET: SECRET },
        context: { name: 'shared', env: { CO: 'co', PC: 'c', CTX_SECRET } },
      });
      const sha = repo.commit({ 'README.md': 'hello from the repo\n' }, 'readme');
      const id = await h.trigger(slug);
      await h.waitDone(id);
      const { build } = await h.jobs(id);
      expect(build.status).toBe('failed');
      const t = build.tasks[0]!;
      expect(t.status).toBe('failed');
      expect(t.steps.map((s) => [s.name, s.status])).toEqual([
        ['Spin up environment', 'success'],
        ['Checkout code', 'success'],
        ['env', 'success'],
        ['shell and dir', 'success'],
        ['Checkout code', 'success'],
        ['copy', 'success'],
        ['secret', 'success'],
        ['bg', 'success'],
        ['wait for bg', 'success'],
        ['Setup a remote Docker engine', 'success'],
        ['fail', 'failed'],
        ['on fail', 'success'],
        ['always', 'success'],
      ]);
      const step = (n: string) => Harness.step(build, n).output;
      const home = step('Spin up environment').match(/Working directory: (\S+)/)![1]!;
      expect(home.endsWith('/home/work')).toBe(true);
      const env = step('env');
      expect(env).toContain('layer=step exec=executor job=job step=step\n');
      expect(env).toContain('project=po ctx=co both=c pj=job branch=main circlejob=job-wins node=0/1\n');
      expect(env).toContain(`pwd=${home}\n`);
      expect(env).toContain('hello from the repo\n');
      expect(env).toContain(`head=${sha} branch=main\n`);
      expect(env).toContain('agent-env=absent\n');
      expect(step('shell and dir')).toBe(`dir=${home}/sub/dir\ncomm=sh\n`);
      expect(step('copy')).toContain('README.md');
      // Secrets are masked even when a command prints one in two pieces.
      expect(step('secret')).toBe('the secret is ******** and ********\n********\n');
      const allOutput = t.steps.map((s) => s.output).join('');
      expect(allOutput).not.toContain(SECRET);
      expect(allOutput).not.toContain(CTX_SECRET);
      expect(step('bg')).toContain('bg says hi');
      expect(step('wait for bg')).toBe('bg-finished\n');
      expect(step('Setup a remote Docker engine')).toMatch(/host executor/);
      const fail = Harness.step(build, 'fail');
      expect(fail.exit_code).toBe(7);
      expect(fail.output).toContain('failing\n');
      expect(fail.output).toContain('Exited with code 7');
      expect(step('on fail')).toBe('ran on fail\n');
      expect(step('always')).toBe('ran always\n');
    });

    it('times a step out after no_output_timeout, then runs `when: always` steps', async () => {
      const { slug } = await h.project(`
version: 2.1
jobs:
  slow:
    machine: true
    steps:
      - run: {name: quiet, no_output_timeout: 1s, command: 'echo start; sleep 600'}
      - run: {name: after, when: always, command: echo after}
workflows: {main: {jobs: [slow]}}
`);
      const started = Date.now();
      const id = await h.trigger(slug);
      await h.waitDone(id);
      expect(Date.now() - started).toBeLessThan(10_000);
      const { slow } = await h.jobs(id);
      expect(slow.status).toBe('timedout');
      const quiet = Harness.step(slow, 'quiet');
      expect(quiet.status).toBe('timedout');
      expect(quiet.output).toMatch(/^start\n\nToo long with no output \(exceeded 1s\)/);
      expect(Harness.step(slow, 'after').output).toBe('after\n');
    });

    it('reports steps in their order: no step is recorded started before the one before it ended', async () => {
      // Quick steps, so one step's end report and the next one's start are in flight together.
      const { slug } = await h.project(`
version: 2.1
jobs:
  quick:
    machine: true
    steps:
${Array.from({ length: 25 }, (_, i) => `      - run: {name: s${i}, command: echo ${i}}`).join('\n')}
workflows: {main: {jobs: [quick]}}
`);
      const id = await h.trigger(slug);
      await h.waitDone(id);
      const { quick } = await h.jobs(id);
      expect(quick.status).toBe('success');
      const rows = await h.server.database.db.selectFrom('steps').innerJoin('tasks', 'tasks.id', 'steps.task_id').select(['steps.step_index', 'steps.started_at', 'steps.stopped_at']).where('tasks.job_id', '=', quick.id).orderBy('steps.step_index').execute();
      expect(rows).toHaveLength(26);
      for (let i = 1; i < rows.length; i++) expect(rows[i]!.started_at! >= rows[i - 1]!.stopped_at!, `step ${i} started ${rows[i]!.started_at}, step ${i - 1} ended ${rows[i - 1]!.stopped_at}`).toBe(true);
    });

    it('cancels a running job within a second, killing the command and its children', async () => {
      const marker = path.join(h.server.dataDir, `pids-${Date.now()}`);
      const { slug } = await h.project(`
version: 2.1
jobs:
  sleepy:
    machine: true
    steps:
      - run: {name: sleep, command: 'sleep 600 & echo $! >> ${marker}; (sleep 600 & echo $! >> ${marker}; wait) & echo started; wait'}
workflows: {main: {jobs: [sleepy]}}
`);
      const id = await h.trigger(slug);
      const job = await h.waitFor(async () => {
        const j = (await h.jobs(id)).sleepy;
        return j && j.tasks[0]?.steps.find((s) => s.name === 'sleep')?.output.includes('started') ? j : undefined;
      }, 15_000, 'the sleep step');
      const pids = fs.readFileSync(marker, 'utf8').trim().split('\n').map(Number);
      expect(pids).toHaveLength(2);
      const t0 = Date.now();
      const r = await h.server.call('POST', `/api/v2/jobs/${job.id}/cancel`, h.token);
      expect([200, 202], r.text).toContain(r.status);
      await h.waitFor(async () => ((await h.jobs(id)).sleepy?.tasks[0]?.status === 'canceled' ? true : undefined), 5_000, 'the task to be canceled');
      expect(Date.now() - t0).toBeLessThan(1_000);
      const after = (await h.jobs(id)).sleepy!;
      expect(after.tasks[0]!.steps.find((s) => s.name === 'sleep')!.status).toBe('canceled');
      for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    });

    it('runs parallelism: 3 with circleci tests glob/split, and step halt', async () => {
      const files: Record<string, string> = {};
      for (let i = 0; i < 7; i++) files[`tests/unit/t${i}_test.txt`] = 'x'.repeat((i + 1) * 100);
      files['tests/other.md'] = 'not a test';
      const { slug, repo } = await h.project(`
version: 2.1
jobs:
  test:
    machine: true
    parallelism: 3
    steps:
      - checkout
      - run: |
          echo "byname=$(circleci tests glob 'tests/**/*_test.txt' | circleci tests split | tr '\\n' ' ')"
          echo "bysize=$(circleci tests glob 'tests/**/*_test.txt' 'nothing/*.x' | circleci tests split --split-by=filesize | tr '\\n' ' ')"
          circleci tests glob 'tests/**/*_test.txt' | circleci tests run --command 'xargs echo ran:' --split-by=name
      - run: circleci-agent step halt
      - run: exit 1
workflows: {main: {jobs: [test]}}
`);
      repo.commit(files, 'tests');
      const id = await h.trigger(slug);
      await h.waitDone(id);
      const { test } = await h.jobs(id);
      expect(test.status).toBe('success');
      expect(test.tasks).toHaveLength(3);
      const byName: string[][] = [];
      const bySize: string[][] = [];
      for (const t of test.tasks) {
        expect(t.steps.map((s) => s.status)).toEqual(['success', 'success', 'success', 'success']);
        const out = t.steps[2]!.output;
        byName.push(out.match(/byname=(.*)\n/)![1]!.trim().split(' ').filter(Boolean));
        bySize.push(out.match(/bysize=(.*)\n/)![1]!.trim().split(' ').filter(Boolean));
        expect(out).toContain(`ran: ${byName.at(-1)!.join(' ')}\n`);
      }
      expect(test.tasks[0]!.steps[3]!.output).toBe('circlet: the job was halted by circleci-agent step halt\n');
      const all = Object.keys(files).filter((f) => f.endsWith('_test.txt')).sort();
      expect(byName.flat().sort()).toEqual(all);
      expect(bySize.flat().sort()).toEqual(all);
      expect(byName.map((b) => b.length)).toEqual([3, 2, 2]);
      // By size: the three largest files go to three different nodes.
      for (const big of ['t6', 't5', 't4']) expect(bySize.filter((b) => b.some((f) => f.includes(big)))).toHaveLength(1);
      expect(new Set(['t6', 't5', 't4'].map((big) => bySize.findIndex((b) => b.some((f) => f.includes(big)))))).toEqual(new Set([0, 1, 2]));
    });

    it('checks out over SSH with the project\'s checkout key when the URL needs it (an agent that checks out from the origin)', async () => {
      // A fake `ssh` on PATH that logs its arguments and runs the remote command locally.
      const fake = path.join(h.server.dataDir, `fake-ssh-${Date.now()}`);
      fs.mkdirSync(fake);
      const log = path.join(fake, 'log');
      fs.writeFileSync(path.join(fake, 'ssh'), `#!/bin/sh\necho "$*" >> '${log}'\nfor last; do :; done\nexec sh -c "$last"\n`, { mode: 0o755 });
      const savedPath = process.env.PATH;
      process.env.PATH = `${fake}:${savedPath}`;
      try {
        const repo = makeRepo(`
version: 2.1
jobs:
  build:
    machine: true
    resource_class: acme/from-origin
    steps:
      - checkout
      - run: {name: show, command: 'git remote get-url origin; cat hello.txt'}
      - add_ssh_keys: {fingerprints: ['aa:bb:cc']}
      - run: {name: keys, command: 'cat ~/.ssh/config; sed -n 2p ~/.ssh/id_rsa_circlet_checkout'}
workflows: {main: {jobs: [build]}}
`);
        repo.commit({ 'hello.txt': 'over ssh\n' });
        const slug = `gh/acme/ssh-${Date.now().toString(36)}`;
        const project = await h.server.project(slug, `git@fakehost:${repo.dir}`);
        await createCheckoutKey(h.server.database.db, h.server.secrets, project.id, 'deploy-key');
        const token = await runnerTokenFor(h.server.database.db, 'from origin', 'acme/from-origin');
        const agent = new Agent({ url: h.server.url, token, resourceClasses: ['acme/from-origin'], checkoutFromOrigin: true, logger: silentLogger, claimWaitMs: 1_000, workDir: tempDir('circlet-agent-work-') });
        const running = agent.start();
        const id = await h.trigger(slug);
        try {
          await h.waitDone(id);
        } finally {
          await agent.stop();
          await running.catch(() => undefined);
        }
        const { build } = await h.jobs(id);
        expect(build.status, JSON.stringify(build)).toBe('success');
        expect(Harness.step(build, 'show').output).toBe(`git@fakehost:${repo.dir}\nover ssh\n`);
        expect(Harness.step(build, 'Checkout code').output).toContain("Using the project's checkout key");
        expect(Harness.step(build, 'Install additional SSH keys').output).toContain('this project holds no SSH key with fingerprint aa:bb:cc');
        // The key is installed, and its lines are masked when printed.
        expect(Harness.step(build, 'keys').output).toMatch(/^Host \*\n  IdentityFile \S+\/home\/\.ssh\/id_rsa_circlet_checkout\n\*{8}\n$/);
        const agentCalls = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('/internal/checkout-key'));
        expect(agentCalls.length).toBeGreaterThan(0);
        expect(agentCalls[0]).toMatch(/-i \S+\/internal\/checkout-key -o IdentitiesOnly=yes .*git@fakehost git-upload-pack/);
      } finally {
        process.env.PATH = savedPath;
      }
    });

    it('leaves macos jobs queued for an agent that advertises macos, and says so', async () => {
      const { slug } = await h.project(`
version: 2.1
jobs:
  mac:
    macos: {xcode: 15.0.0}
    steps: [{run: echo mac}]
  linux:
    machine: true
    steps: [{run: echo linux}]
workflows: {main: {jobs: [mac, linux]}}
`);
      const id = await h.trigger(slug);
      await h.waitFor(async () => (await h.jobs(id)).linux?.status === 'success', 15_000, 'the linux job');
      const { mac } = await h.jobs(id);
      expect(mac.status).toBe(process.platform === 'darwin' ? expect.any(String) : 'queued');
      expect(mac.messages.map((m) => m.message).join('\n')).toMatch(/waits for an agent that runs macos jobs/);
      await h.server.call('POST', `/api/v2/workflow/${(await h.workflows(id))[0]!.id}/cancel`, h.token);
    });

    it('fails a step type the agent does not run yet with a clear message', async () => {
      const { slug } = await h.project(`
version: 2.1
jobs:
  store:
    machine: true
    steps:
      - install_signing_bundle
workflows: {main: {jobs: [store]}}
`);
      const id = await h.trigger(slug);
      await h.waitDone(id);
      const { store } = await h.jobs(id);
      expect(store.status).toBe('failed');
      expect(Harness.step(store, 'install_signing_bundle').output).toMatch(/not yet supported by this agent/);
    });
  });
}

function alive(pid: number): boolean {
  try {
    const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return stat !== '' && !stat.startsWith('Z');
  } catch {
    return false;
  }
}
