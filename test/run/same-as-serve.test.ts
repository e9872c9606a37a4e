// One config under `circlet serve` (a real server with its embedded agent, triggered over
// the API) and under `circlet run --commit --keep-going` (its events): the same job graph,
// the same job statuses, the same steps with the same results and output.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../src/agent/logger.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { runCli } from '../cli/child.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { Harness } from '../agent/harness.ts';

const CONFIG = `
version: 2.1
commands:
  say: {parameters: {what: {type: string}}, steps: [{run: {name: say << parameters.what >>, command: echo "<< parameters.what >> in $CIRCLE_JOB"}}]}
jobs:
  build:
    machine: true
    steps:
      - checkout
      - say: {what: hello}
      - run: mkdir -p w && echo layer > w/f
      - persist_to_workspace: {root: w, paths: [f]}
  lint:
    machine: true
    steps:
      - run: {name: fails, command: echo "lint says no"; exit 4}
      - run: {name: always, command: echo cleanup, when: always}
      - run: {name: skipped, command: echo unreachable}
  test:
    machine: true
    parallelism: 2
    steps:
      - attach_workspace: {at: ws}
      - run: {name: node, command: echo "node $CIRCLE_NODE_INDEX of $CIRCLE_NODE_TOTAL reads $(cat ws/f)"}
  after-lint: {machine: true, steps: [{run: echo never}]}
  finish: {machine: true, steps: [{run: echo finished}]}
workflows:
  main:
    jobs: [build, lint, {test: {requires: [build]}}, {after-lint: {requires: [lint]}}, {finish: {requires: [test, {lint: failed}]}}]
`;

describe('circlet run and circlet serve', () => {
  const kind = databaseKinds()[0]!;
  let h: Harness;
  let embedded: EmbeddedAgent;
  beforeAll(async () => {
    h = await Harness.start(kind);
    embedded = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 2, logger: silentLogger });
  });
  afterAll(async () => {
    await embedded?.stop(0);
    await h?.close();
  });

  it('give the same job graph and the same step results', async () => {
    const { slug, repo } = await h.project(CONFIG);
    const id = await h.trigger(slug);
    await h.waitDone(id, 60_000);
    const served = await h.jobs(id);
    const rows = await h.server.database.db.selectFrom('jobs').select(['name', 'requires']).where('pipeline_id', '=', id).execute();
    const serveGraph = Object.fromEntries(rows.map((r) => [r.name, (JSON.parse(r.requires) as { name: string }[]).map((x) => x.name).sort()]));

    const cache = tempDir('circlet-run-cache-');
    onTestFinished(() => fs.rmSync(cache, { recursive: true, force: true }));
    const r = await runCli(['run', '--json', '--commit', '--keep-going'], { cwd: repo.dir, env: { XDG_CACHE_HOME: cache } });
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(r.code).toBe(1); // lint fails, under both
    const started = events.find((e) => e.type === 'run_started')!;
    const runGraph = Object.fromEntries(started.workflows[0].jobs.map((j: { name: string; requires: string[] }) => [j.name, [...j.requires].sort()]));
    expect(runGraph).toEqual(serveGraph);

    const runStatus = Object.fromEntries(events.filter((e) => e.type === 'job_ended').map((e) => [e.job, e.status]));
    expect(runStatus).toEqual(Object.fromEntries(Object.values(served).map((j) => [j.name, j.status])));
    expect(runStatus).toMatchObject({ lint: 'failed', 'after-lint': 'not_run', finish: 'success' });

    // Steps per job node: name, status, exit code, and the output of the run steps
    // (spin-up and checkout name temp paths that differ by nature).
    const volatile = /^(Spin up environment|Checkout code|Attaching Workspace|Persisting to Workspace)$/;
    for (const job of Object.values(served)) {
      for (const task of job.tasks) {
        const fromRun = events.filter((e) => e.type === 'step_ended' && e.job === job.name && e.node === task.node_index).map((e) => [e.name, e.status, e.exit_code]);
        expect(fromRun, `${job.name}[${task.node_index}]`).toEqual(task.steps.map((s) => [s.name, s.status, s.exit_code]));
        for (const s of task.steps.filter((x) => !volatile.test(x.name))) {
          const out = events
            .filter((e) => e.type === 'output' && e.job === job.name && e.node === task.node_index && e.step === s.index)
            .map((e) => e.data)
            .join('');
          expect(out, `${job.name}[${task.node_index}] ${s.name}`).toBe(s.output);
        }
      }
    }
    expect(served.test!.tasks.map((t) => Harness.step(served.test!, 'node', t.node_index).output.trim())).toEqual(['node 0 of 2 reads layer', 'node 1 of 2 reads layer']);
  });
});
