// The agent's output steps end to end over HTTP, with the real server, real git and the
// real (embedded) agent on SQLite and PostgreSQL: save_cache / restore_cache across
// pipelines, workspaces across jobs (not workflows), artifacts and test results through
// the v2 API, and `circleci tests split --split-by=timings` with stored timings.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Base64 } from '../../src/agent/cache-key.ts';
import { silentLogger } from '../../src/agent/logger.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { Harness, type JobRecord } from './harness.ts';

const CACHE = (abs: string) => `
version: 2.1
jobs:
  build:
    machine: true
    steps:
      - checkout
      - restore_cache:
          keys:
            - deps-v1-{{ .Branch }}-{{ checksum "deps.lock" }}
            - deps-v1-{{ .Branch }}-
      - run:
          name: use cache
          command: |
            if [ -f ~/cachedir/data.txt ]; then
              echo "hit $(cat ~/cachedir/data.txt) $(cat node_modules/pkg/index.js) $(cat ${abs}/abs.txt)"
            else
              echo miss
              mkdir -p ~/cachedir node_modules/pkg ${abs}
              cat deps.lock > ~/cachedir/data.txt
              echo module > node_modules/pkg/index.js
              echo absolute > ${abs}/abs.txt
            fi
      - save_cache:
          key: deps-v1-{{ .Branch }}-{{ checksum "deps.lock" }}
          paths: [~/cachedir, node_modules, does-not-exist, ${abs}]
      - restore_cache: {name: miss, key: 'nothing-{{ .Environment.NOPE }}'}
workflows: {main: {jobs: [build]}}
`;

const WORKSPACE = `
version: 2.1
jobs:
  noop: {machine: true, steps: [{run: 'true'}]}
  make:
    machine: true
    steps:
      - run: mkdir -p out/sub && echo one > out/a.txt && echo deep > out/sub/b.txt && echo skip > out/c.log
      - persist_to_workspace: {root: out, paths: ['*.txt', sub]}
  overwrite:
    machine: true
    steps:
      - run: mkdir -p ~/w && echo two > ~/w/a.txt
      - persist_to_workspace: {root: ~/w, paths: [a.txt]}
  use:
    machine: true
    steps:
      - attach_workspace: {at: ~/ws}
      - run: {name: show, command: 'cat ~/ws/a.txt ~/ws/sub/b.txt 2>&1 || true; ls -A ~/ws | tr "\\n" " "'}
workflows:
  one:
    jobs: [make, {overwrite: {requires: [make]}}, {use: {requires: [overwrite]}}]
  two:
    jobs: [{noop: {name: make}}, {use: {name: use-two, requires: [make]}}]
`;

const JUNIT = `<?xml version="1.0"?>
<testsuites>
  <testsuite name="suite" file="test/a.test.js">
    <testcase classname="A" name="passes" time="0.5"/>
    <testcase classname="A" name="fails" time="1.25"><failure message="expected 1 to equal 2">at a.test.js:3</failure></testcase>
    <testcase classname="A" name="skips"><skipped/></testcase>
    <testsuite name="nested"><testcase classname="B" name="errors" file="test/b.test.js" time="2"><error message="boom"/></testcase></testsuite>
  </testsuite>
</testsuites>`;

const ARTIFACTS = `
version: 2.1
jobs:
  test:
    machine: true
    steps:
      - run:
          name: make
          command: |
            mkdir -p reports/mocha art/sub
            echo hello > art/one.txt
            echo nested > art/sub/two.txt
            echo single > single.log
            cat > reports/mocha/results.xml <<'XML'
${JUNIT.replace(/^/gm, '            ')}
            XML
            echo 'not xml' > reports/notes.txt
            echo '<html/>' > reports/other.xml
      - store_artifacts: {path: art, destination: build}
      - store_artifacts: {path: single.log}
      - store_artifacts: {path: /nonexistent-circlet-dir}
      - store_test_results: {path: reports}
workflows: {main: {jobs: [test]}}
`;

// Six files; stored times a=10 b=9 c=8 d=3 e=2 f=1 (d: two tests of 1.5).
const SEED = `
version: 2.1
jobs:
  seed:
    machine: true
    steps:
      - run: |
          mkdir r
          cat > r/t.xml <<'XML'
          <testsuites><testsuite name="s">
          <testcase classname="T" name="a" file="./t/a.js" time="10"/>
          <testcase classname="T" name="b" file="t/b.js" time="9"/>
          <testcase classname="T" name="c" file="t/c.js" time="8"/>
          <testcase classname="T" name="d1" file="t/d.js" time="1.5"/>
          <testcase classname="T" name="d2" file="t/d.js" time="1.5"/>
          <testcase classname="T" name="e" file="t/e.js" time="2"/>
          <testcase classname="T" name="f" file="t/f.js" time="1"/>
          </testsuite></testsuites>
          XML
      - store_test_results: {path: r/t.xml}
workflows: {main: {jobs: [seed]}}
`;

const SPLIT = `
version: 2.1
jobs:
  split:
    machine: true
    parallelism: 3
    steps:
      - run:
          name: split
          command: printf '%s\\n' t/a.js t/b.js ./t/c.js t/d.js t/e.js t/f.js | circleci tests split --split-by=timings | tr '\\n' ' '
workflows: {main: {jobs: [split]}}
`;

for (const kind of databaseKinds()) {
  describe(`agent output steps (${kind.name})`, () => {
    let h: Harness;
    let embedded: EmbeddedAgent;
    beforeAll(async () => {
      h = await Harness.start(kind);
      embedded = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 3, logger: silentLogger });
    });
    afterAll(async () => {
      await embedded?.stop(0);
      await h?.close();
    });

    const run = async (slug: string): Promise<Record<string, JobRecord>> => {
      const id = await h.trigger(slug);
      await h.waitDone(id, 60_000);
      return h.jobs(id);
    };
    const out = (job: JobRecord, name: string, node = 0) => Harness.step(job, name, node).output;
    const statuses = (job: JobRecord, node = 0) => job.tasks[node]!.steps.map((s) => [s.name, s.status]);

    it('saves a cache in one pipeline and restores it in the next (exact, then by prefix)', async () => {
      // A path outside $HOME is restored where it was (removed here between pipelines).
      const abs = path.join(h.server.dataDir, `abs-cache-${Date.now()}`);
      const { slug, repo } = await h.project(CACHE(abs));
      repo.commit({ 'deps.lock': 'v1\n' }, 'deps v1');
      const key1 = `deps-v1-main-${sha256Base64('v1\n')}`;

      let { build } = await run(slug);
      expect(statuses(build!)).toEqual([
        ['Spin up environment', 'success'],
        ['Checkout code', 'success'],
        ['Restoring cache', 'success'],
        ['use cache', 'success'],
        ['Saving cache', 'success'],
        ['miss', 'success'],
      ]);
      expect(out(build!, 'Restoring cache')).toContain(`No cache is found for keys: ${key1}, deps-v1-main-`);
      expect(out(build!, 'use cache')).toBe('miss\n');
      expect(out(build!, 'Saving cache')).toContain(`Stored cache to ${key1}`);
      expect(out(build!, 'Saving cache')).toMatch(/could not find \S+\/does-not-exist/);
      expect(out(build!, 'miss')).toContain('No cache is found for key: nothing-<no value>');

      fs.rmSync(abs, { recursive: true, force: true });
      ({ build } = await run(slug));
      expect(build!.status).toBe('success');
      expect(out(build!, 'Restoring cache')).toContain(`Found a cache at key ${key1}`);
      expect(out(build!, 'use cache')).toBe('hit v1 module absolute\n');
      expect(out(build!, 'Saving cache')).toContain(`Skipping cache generation, cache already exists for key: ${key1}`);

      repo.commit({ 'deps.lock': 'v2\n' }, 'deps v2');
      const key2 = `deps-v1-main-${sha256Base64('v2\n')}`;
      ({ build } = await run(slug));
      expect(build!.status).toBe('success');
      expect(out(build!, 'Restoring cache')).toContain(`Found a cache at key ${key1}`);
      expect(out(build!, 'use cache')).toBe('hit v1 module absolute\n');
      expect(out(build!, 'Saving cache')).toContain(`Stored cache to ${key2}`);
      const caches = await h.server.database.db.selectFrom('caches').select('key').execute();
      expect(caches.map((c) => c.key)).toEqual(expect.arrayContaining([key1, key2]));
    });

    it('attaches workspace layers of upstream jobs in order, never of another workflow', async () => {
      const { slug } = await h.project(WORKSPACE);
      const jobs = await run(slug);
      // The compiler names the two `make` jobs of the pipeline make-1 and make-2.
      expect(jobs['make-1']!.status).toBe('success');
      expect(out(jobs['make-1']!, 'Persisting to Workspace')).toMatch(/Uploaded the workspace layer/);
      expect(jobs.use!.status).toBe('success');
      expect(out(jobs.use!, 'Attaching Workspace')).toMatch(/2 layers\n {2}from make-1 .*\n {2}from overwrite /);
      expect(out(jobs.use!, 'show')).toBe('two\ndeep\na.txt sub ');
      expect(jobs['use-two']!.status).toBe('success');
      expect(out(jobs['use-two']!, 'Attaching Workspace')).toContain('No workspace layers to attach');
      expect(out(jobs['use-two']!, 'show')).toContain('No such file or directory');
    });

    it('fails persist_to_workspace when a path matches nothing', async () => {
      const { slug } = await h.project(`
version: 2.1
jobs:
  bad:
    machine: true
    steps:
      - run: mkdir -p out
      - persist_to_workspace: {root: out, paths: [missing.txt]}
workflows: {main: {jobs: [bad]}}
`);
      const { bad } = await run(slug);
      expect(bad!.status).toBe('failed');
      expect(out(bad!, 'Persisting to Workspace')).toMatch(/did not match any files in \S+\/out: missing\.txt/);
    });

    it('uploads artifacts and test results, visible through the v2 API', async () => {
      const { slug } = await h.project(ARTIFACTS);
      const { test } = await run(slug);
      expect(statuses(test!)).toEqual([
        ['Spin up environment', 'success'],
        ['make', 'success'],
        ['Uploading artifacts', 'success'],
        ['Uploading artifacts', 'success'],
        ['Uploading artifacts', 'success'],
        ['Uploading test results', 'success'],
      ]);
      const steps = test!.tasks[0]!.steps;
      expect(steps[4]!.output).toContain('No artifact files found at /nonexistent-circlet-dir');
      expect(steps[5]!.output).toContain('mocha/results.xml: 4 tests');
      expect(steps[5]!.output).toMatch(/other\.xml: skipped, not a JUnit report/);
      expect(steps[5]!.output).toContain('Stored 4 test results: 1 passed, 1 failed, 1 errors, 1 skipped');
      const row = await h.server.database.db.selectFrom('jobs').select('number').where('id', '=', test!.id).executeTakeFirstOrThrow();
      const arts = await h.server.call('GET', `/api/v2/project/${slug}/${row.number}/artifacts`, h.token);
      expect(arts.status).toBe(200);
      expect(arts.body.items.map((a: { path: string }) => a.path).sort()).toEqual(['build/one.txt', 'build/sub/two.txt', 'single.log']);
      const one = arts.body.items.find((a: { path: string }) => a.path === 'build/one.txt');
      expect(await (await fetch(one.url, { headers: { 'Circle-Token': h.token } })).text()).toBe('hello\n');
      const tests = await h.server.call('GET', `/api/v2/project/${slug}/${row.number}/tests`, h.token);
      expect(tests.status).toBe(200);
      const byName = Object.fromEntries(tests.body.items.map((t: { name: string }) => [t.name, t]));
      expect(byName.passes).toMatchObject({ classname: 'A', file: 'test/a.test.js', result: 'success', run_time: 0.5, source: 'mocha' });
      expect(byName.fails).toMatchObject({ result: 'failure', message: 'expected 1 to equal 2\nat a.test.js:3', run_time: 1.25 });
      expect(byName.skips).toMatchObject({ result: 'skipped' });
      expect(byName.errors).toMatchObject({ classname: 'B', file: 'test/b.test.js', result: 'error', message: 'boom', run_time: 2 });
    });

    it('splits tests across parallel nodes by stored timings', async () => {
      const { slug, repo } = await h.project(SEED);
      const { seed } = await run(slug);
      expect(seed!.status).toBe('success');
      repo.commit({ '.circleci/config.yml': SPLIT }, 'split');
      const { split } = await run(slug);
      expect(split!.status).toBe('success');
      expect(split!.tasks).toHaveLength(3);
      expect(out(split!, 'Spin up environment')).toContain('Test timings: 7 stored test results');
      // Heaviest first into the lightest node: {a, f} = 11, {b, e} = 11, {c, d} = 11.
      expect([0, 1, 2].map((n) => out(split!, 'split', n).split('\n').filter((l) => l.startsWith('t/') || l.startsWith('./'))[0]!.trim())).toEqual([
        't/a.js t/f.js',
        't/b.js t/e.js',
        './t/c.js t/d.js',
      ]);
    });
  });
}
