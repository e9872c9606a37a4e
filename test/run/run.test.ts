// `circlet run` end to end: the real program as a child process in real git repositories,
// with the real engine, agent and host executor behind it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/databases.ts';
import { jobLines, jsonOutput, runRepo, write } from './helpers.ts';

const FAN = `
version: 2.1
jobs:
  build:
    machine: true
    steps:
      - checkout
      - run: mkdir -p out && cat README.md > out/readme.txt
      - restore_cache:
          keys:
            - deps-v1-{{ checksum "deps.lock" }}
            - deps-v1-
      - run: |
          if [ -f deps/data ]; then echo "cache hit: $(cat deps/data)"; else echo "cache miss"; mkdir -p deps; echo saved-once > deps/data; fi
      - save_cache:
          key: deps-v1-{{ checksum "deps.lock" }}
          paths: [deps]
      - persist_to_workspace: {root: out, paths: [readme.txt]}
  left:
    machine: true
    steps:
      - attach_workspace: {at: ws}
      - run: echo "left sees $(cat ws/readme.txt)"
  right:
    machine: true
    steps:
      - attach_workspace: {at: ws}
      - run: mkdir -p art && echo right > art/r.txt && echo "right sees $(cat ws/readme.txt)"
      - store_artifacts: {path: art}
  join:
    machine: true
    steps:
      - run: echo joined
workflows:
  main:
    jobs: [build, {left: {requires: [build]}}, {right: {requires: [build]}}, {join: {requires: [left, right]}}]
`;

describe('circlet run', () => {
  it('runs a fan-out/fan-in workflow from the working tree with a workspace, then restores the cache on the next run', async () => {
    const repo = runRepo(FAN, { 'README.md': 'committed\n', 'deps.lock': 'v1\n' });
    // An uncommitted change and an untracked file the job sees; an ignored one it does not.
    write(repo.dir, 'README.md', 'uncommitted\n');
    write(repo.dir, '.gitignore', 'secret.txt\n');
    write(repo.dir, 'secret.txt', 'ignored\n');
    const refsBefore = repo.git('for-each-ref');
    const indexBefore = fs.readFileSync(path.join(repo.dir, '.git/index'));
    const first = await repo.run();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(jobLines(first.stdout, 'build')).toContain('cache miss');
    expect(jobLines(first.stdout, 'left')).toContain('left sees uncommitted');
    expect(jobLines(first.stdout, 'right')).toContain('right sees uncommitted');
    expect(jobLines(first.stdout, 'join')).toContain('joined');
    // join starts only after left and right ended.
    const lines = first.stdout.split('\n');
    const joinStart = lines.indexOf('[join] started');
    expect(joinStart).toBeGreaterThan(lines.findIndex((l) => l.startsWith('[left] success')));
    expect(joinStart).toBeGreaterThan(lines.findIndex((l) => l.startsWith('[right] success')));
    expect(first.stdout).toContain('working tree, uncommitted changes included');
    expect(first.stdout).toMatch(/Output, artifacts and test results: \.circlet\/runs\/1\//);
    expect(fs.readFileSync(path.join(repo.dir, '.circlet/runs/1/main/right/artifacts/art/r.txt'), 'utf8')).toBe('right\n');
    expect(fs.readFileSync(path.join(repo.dir, '.circlet/runs/1/main/left/output.log'), 'utf8')).toContain('left sees uncommitted');
    // The user's repository: no ref, no index change, nothing staged.
    expect(repo.git('for-each-ref')).toBe(refsBefore);
    expect(fs.readFileSync(path.join(repo.dir, '.git/index')).equals(indexBefore)).toBe(true);
    expect(repo.git('status', '--porcelain')).toBe(['M README.md', '?? .circlet/', '?? .gitignore'].join('\n'));

    // The usual next step: .circlet/ ignored (git then refuses a pathspec that names it).
    write(repo.dir, '.gitignore', 'secret.txt\n.circlet/\n');
    const second = await repo.run();
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(jobLines(second.stdout, 'build')).toContain('cache hit: saved-once');
    expect(second.stdout).toContain('.circlet/runs/2/');
    // The run's output folder is not part of the code the next run checks out.
    expect(jobLines(second.stdout, 'build').join('\n')).not.toContain('.circlet');

    // --clear-cache empties the saved caches; --commit checks out HEAD.
    const third = await repo.run(['--clear-cache', '--commit']);
    expect(third.code).toBe(0);
    expect(jobLines(third.stdout, 'build')).toContain('cache miss');
    expect(jobLines(third.stdout, 'left')).toContain('left sees committed');
    expect(third.stdout).toContain('(HEAD)');
  });

  it('exits 1 when a job fails: its dependants are not_run and its failing lines are printed', async () => {
    const repo = runRepo(`
version: 2.1
jobs:
  ok: {machine: true, steps: [{run: echo fine}]}
  broken:
    machine: true
    steps:
      - run: |
          echo "about to fail"
          echo "the reason" >&2
          exit 3
  after: {machine: true, steps: [{run: echo never}]}
workflows:
  main:
    jobs: [ok, broken, {after: {requires: [broken]}}]
`);
    const r = await repo.runJson(['--keep-going']);
    expect(r.code).toBe(1);
    const ended = Object.fromEntries(r.events.filter((e) => e.type === 'job_ended').map((e) => [e.job, e.status]));
    expect(ended).toEqual({ ok: 'success', broken: 'failed', after: 'not_run' });
    expect(r.events.find((e) => e.type === 'step_ended' && e.job === 'broken' && e.status === 'failed')).toMatchObject({ exit_code: 3 });
    expect(jsonOutput(r.events, 'broken')).toContain('the reason');
    expect(r.events.at(-1)).toMatchObject({ type: 'run_ended', status: 'failed', exit_code: 1 });
    expect(jsonOutput(r.events, 'after')).toBe('');

    const plain = await repo.run();
    expect(plain.code).toBe(1);
    expect(jobLines(plain.stdout, 'broken')).toEqual(expect.arrayContaining(['about to fail', 'the reason', expect.stringMatching(/failed \(exit 3\)/)]));
    expect(plain.stdout).toMatch(/\n {2}after\s+not_run/);
  });

  it('approval jobs: --approve runs what follows, --no-approve stops there with exit 1', async () => {
    const repo = runRepo(`
version: 2.1
jobs:
  first: {machine: true, steps: [{run: echo first}]}
  deploy: {machine: true, steps: [{run: echo deployed}]}
workflows:
  main:
    jobs: [first, {hold: {type: approval, requires: [first]}}, {deploy: {requires: [hold]}}]
`);
    const yes = await repo.run(['--approve']);
    expect(yes.code).toBe(0);
    expect(jobLines(yes.stdout, 'hold')).toContain('approved');
    expect(jobLines(yes.stdout, 'deploy')).toContain('deployed');
    const no = await repo.run(['--no-approve']);
    expect(no.code).toBe(1);
    expect(jobLines(no.stdout, 'hold').join('\n')).toContain('not approved');
    expect(jobLines(no.stdout, 'deploy')).not.toContain('deployed');
    expect(no.stdout).toContain('Stopped at an approval');
  });

  it('types --param as declared, and masks --env, --env-file and --context secrets', async () => {
    const repo = runRepo(`
version: 2.1
parameters:
  count: {type: integer, default: 1}
  greet: {type: boolean, default: false}
  flavour: {type: enum, enum: [plain, fancy], default: plain}
jobs:
  show:
    machine: true
    steps:
      - run: echo "count=<< pipeline.parameters.count >> plus1=$(( << pipeline.parameters.count >> + 1 )) flavour=<< pipeline.parameters.flavour >>"
      - when:
          condition: << pipeline.parameters.greet >>
          steps: [{run: echo greeted}]
      - run: echo "project $PROJECT_SECRET file $FILE_SECRET context $CTX_SECRET plain $PLAIN_NAME"
workflows:
  main:
    jobs: [{show: {context: [deploy-creds]}}]
`);
    // Outside the repository (not part of what the job checks out), in a dir removed after the file.
    const secrets = tempDir('circlet-run-secrets-');
    write(secrets, 'project.env', '# project vars\nFILE_SECRET="file-secret-value"\nexport PLAIN_NAME=x\n');
    write(secrets, 'context.env', 'CTX_SECRET=context-secret-value\n');
    const r = await repo.run([
      '--param', 'count=41', '--param', 'greet=true', '--param', 'flavour=fancy',
      '--env', 'PROJECT_SECRET=project-secret-value',
      '--env-file', path.join(secrets, 'project.env'),
      '--context', `deploy-creds=${path.join(secrets, 'context.env')}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = jobLines(r.stdout, 'show');
    expect(out).toContain('count=41 plus1=42 flavour=fancy');
    expect(out).toContain('greeted');
    expect(out).toContain('project ******** file ******** context ******** plain x');
    expect(r.stdout).not.toMatch(/secret-value/);

    const bad = await repo.run(['--param', 'count=many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--param count: 'many' is not an integer");
    const unknown = await repo.run(['--param', 'nope=1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no pipeline parameter 'nope'");
    const badEnum = await repo.run(['--param', 'flavour=odd']);
    expect(badEnum.code).toBe(2);
    expect(badEnum.stderr).toContain('is not one of plain, fancy');
  });

  it('a config error is printed as file:line:col with exit 2; --job and WORKFLOW narrow what runs', async () => {
    const repo = runRepo(`
version: 2.1
jobs:
  a: {machine: true, steps: [{run: echo a-ran}]}
  b: {machine: true, steps: [{run: echo b-ran}]}
  c: {machine: true, steps: [{run: echo c-ran}]}
workflows:
  one:
    jobs: [a, {b: {requires: [a]}}]
  two:
    jobs: [c]
`);
    const job = await repo.runJson(['--job', 'b']);
    expect(job.code).toBe(0);
    expect(job.events.filter((e) => e.type === 'job_ended').map((e) => e.job)).toEqual(['a', 'b']);
    const only = await repo.runJson(['one', '--job', 'b', '--only']);
    expect(only.events.filter((e) => e.type === 'job_ended').map((e) => e.job)).toEqual(['b']);
    const wf = await repo.runJson(['two']);
    expect(wf.events.filter((e) => e.type === 'job_ended').map((e) => e.job)).toEqual(['c']);
    const tag = await repo.run(['--tag', 'v1']);
    expect(tag.code).toBe(2);
    expect(tag.stderr).toContain('no workflow runs on tag v1');
    const missing = await repo.run(['three']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no workflow 'three' in the config (it has: one, two)");

    write(repo.dir, '.circleci/config.yml', 'version: 2.1\njobs:\n  a:\n    machine: true\n    steps: [{run: {nope: 1}}]\nworkflows: {w: {jobs: [a]}}\n');
    const broken = await repo.run();
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^\.circleci\/config\.yml:\d+:\d+: /m);
  });

  it('parallelism: 3 splits by name first, then by the timings of the earlier local run', async () => {
    const files = Object.fromEntries(['t1', 't2', 't3', 't4', 't5', 't6'].map((t) => [`tests/${t}.txt`, t]));
    const repo = runRepo(
      `
version: 2.1
jobs:
  test:
    machine: true
    parallelism: 3
    steps:
      - checkout
      - run: |
          circleci tests glob "tests/*.txt" | circleci tests split --split-by=timings > mine
          echo "node $CIRCLE_NODE_INDEX: $(tr '\\n' ' ' < mine)"
          mkdir -p results
          { echo '<testsuite>'; while read f; do t=1; [ "$f" = tests/t1.txt ] && t=9; echo "<testcase name=\\"$f\\" file=\\"$f\\" time=\\"$t\\"/>"; done < mine; echo '</testsuite>'; } > results/junit.xml
      - store_test_results: {path: results}
workflows: {main: {jobs: [test]}}
`,
      files,
    );
    const nodes = (events: Record<string, any>[]) =>
      [0, 1, 2].map((n) => /node \d: (.*)/.exec(jsonOutput(events, 'test', n))?.[1]?.trim().split(' ').sort() ?? []);
    const first = await repo.runJson();
    expect(first.code).toBe(0);
    expect(nodes(first.events).flat().sort(), JSON.stringify(first.events.filter((e) => e.type === 'output' && /node/.test(e.data)))).toEqual(Object.keys(files).sort());
    expect(jsonOutput(first.events, 'test')).toContain('none stored for this project yet');
    expect(first.events.at(-1)!.summary[0].tests.total).toBe(6);
    const second = await repo.runJson();
    expect(second.code).toBe(0);
    expect(jsonOutput(second.events, 'test')).toMatch(/Test timings: \d+ stored test results/);
    // By timings: the 9 s file gets a node of its own.
    expect(nodes(second.events)).toContainEqual(['tests/t1.txt']);
    expect(fs.existsSync(path.join(repo.dir, '.circlet/runs/2/main/test/test-results.json'))).toBe(true);
  });

  it('--parallel 1 runs one job at a time; --parallel 2 runs independent jobs together', async () => {
    const repo = runRepo(`
version: 2.1
jobs:
  one: {machine: true, steps: [{run: sleep 1}]}
  two: {machine: true, steps: [{run: sleep 1}]}
workflows: {main: {jobs: [one, two]}}
`);
    const order = (events: Record<string, any>[]) => events.filter((e) => e.type === 'job_started' || e.type === 'job_ended').map((e) => e.type.slice(4));
    const serial = await repo.runJson(['--parallel', '1']);
    expect(serial.code).toBe(0);
    expect(order(serial.events)).toEqual(['started', 'ended', 'started', 'ended']);
    const both = await repo.runJson(['--parallel', '2']);
    expect(both.code).toBe(0);
    expect(order(both.events)).toEqual(['started', 'started', 'ended', 'ended']);
    const bad = await repo.run(['--parallel', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must be a number of jobs');
    const unknown = await repo.run(['--bogus']);
    expect(unknown.code).toBe(2);
    expect((await repo.run(['--help'])).code).toBe(0);
  });

  it('the repository needs no commit for the working tree, and --commit then says why it cannot run', async () => {
    const repo = runRepo('version: 2.1\njobs: {a: {machine: true, steps: [{run: echo ran}]}}\nworkflows: {w: {jobs: [a]}}\n');
    execFileSync('git', ['update-ref', '-d', 'HEAD'], { cwd: repo.dir });
    const r = await repo.run();
    expect(r.code).toBe(0);
    expect(jobLines(r.stdout, 'a')).toContain('ran');
    const c = await repo.run(['--commit']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('no commit yet');
  });
});
