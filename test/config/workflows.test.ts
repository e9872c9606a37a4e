// Workflows: invocations, names, requires, cycles, approval, pre/post-steps, when/unless.
import { describe, expect, it } from 'vitest';
import { compile, compiled, messages, yml } from './helpers.ts';

const jobs = yml`
  jobs:
    a: {docker: [{image: x}], steps: [{run: a}]}
    b:
      parameters: {v: {type: string, default: "0"}}
      docker: [{image: x}]
      steps: [{run: "b << parameters.v >>"}]
`;
const cfg = (workflows: string, extra = ''): string => `version: 2.1\n${extra}${jobs}workflows:\n${workflows}`;

describe('job invocations', () => {
  it('emits one job per invocation, named by the invocation, and drops unused jobs', async () => {
    const c = await compiled(cfg('  w:\n    jobs: [{b: {name: b1, v: "1"}}, {b: {name: b2, v: "2"}}]\n'));
    expect(Object.keys(c.jobs).sort()).toEqual(['b1', 'b2']);
    expect(c.jobs.b1.steps).toEqual([{ run: { command: 'b 1' } }]);
    expect(c.workflows).toEqual({ w: { jobs: ['b1', 'b2'] }, version: 2 });
  });
  it('suffixes repeated invocations without distinct names: job-1, job-2', async () => {
    const c = await compiled(cfg('  w:\n    jobs: [{b: {v: "1"}}, {b: {v: "2"}}, {a: {requires: [b-1]}}]\n'));
    expect(Object.keys(c.jobs).sort()).toEqual(['a', 'b-1', 'b-2']);
    expect(c.workflows.w.jobs).toEqual(['b-1', 'b-2', { a: { requires: ['b-1'] } }]);
  });
  it('shares one job entry when two workflows invoke the same job identically', async () => {
    const c = await compiled(cfg('  w1: {jobs: [a]}\n  w2: {jobs: [a]}\n'));
    expect(Object.keys(c.jobs)).toEqual(['a']);
    expect(c.workflows.w2.jobs).toEqual(['a']);
  });
  it('reports a duplicate explicit job name in a workflow', async () => {
    const r = await compile(cfg('  w:\n    jobs: [{a: {name: x}}, {b: {name: x}}]\n'));
    expect(messages(r)).toEqual(["Duplicate job name 'x' in workflow 'w'"]);
    expect(r.diagnostics[0].path).toBe('workflows.w.jobs[1].b');
  });
  it('reports requiring a name that several jobs share', async () => {
    const r = await compile(cfg('  w:\n    jobs: [b, b, {a: {requires: [b]}}]\n'));
    expect(messages(r)).toEqual(["Job 'a' requires 'b', which is the name of 2 other jobs in workflow 'w'"]);
  });
  it('reports an unknown job and an unknown requirement', async () => {
    const r = await compile(cfg('  w:\n    jobs: [nope, {a: {requires: [ghost]}}]\n'));
    expect(messages(r)).toEqual(['Cannot find a definition for job named nope', 'a: requires job "ghost" but "ghost" is not part of this workflow.']);
    expect(r.diagnostics.map((d) => d.path)).toEqual(['workflows.w.jobs[0]', 'workflows.w.jobs[1].a.requires[0]']);
    expect(r.diagnostics[0].line).toBe(10);
  });
  it('reports a cycle in requires', async () => {
    const r = await compile(cfg('  w:\n    jobs: [{a: {requires: [b]}}, {b: {requires: [a]}}]\n'));
    expect(messages(r)).toEqual(["Cycle in requires of workflow 'w': a -> b -> a"]);
  });
  it('keeps requires statuses, context, filters, type and serial-group; drops name/matrix/pre/post-steps', async () => {
    const c = await compiled(
      cfg(
        '  w:\n    jobs:\n      - a\n      - hold: {type: approval, requires: [a]}\n      - b: {requires: [{a: [success, failed]}, hold], context: [org], filters: {branches: {only: main}}, serial-group: "grp/<< pipeline.git.branch >>", override-with: orb/b}\n',
      ),
    );
    expect(c.workflows.w.jobs).toEqual([
      'a',
      { hold: { type: 'approval', requires: ['a'] } },
      { b: { requires: [{ a: ['success', 'failed'] }, 'hold'], context: ['org'], filters: { branches: { only: 'main' } }, 'serial-group': 'grp/main', 'override-with': 'orb/b' } },
    ]);
    expect(c.jobs.hold).toBeUndefined();
  });
  it('rejects invalid requires statuses and serial groups', async () => {
    expect(messages(await compile(cfg('  w:\n    jobs: [a, {b: {requires: [{a: done}]}}]\n')))[0]).toMatch(/done/);
    expect(messages(await compile(cfg('  w:\n    jobs: [{a: {serial-group: "a b"}}]\n')))[0]).toMatch(/serial-group|a b/);
  });
  it('inserts pre-steps before and post-steps after the job’s steps (project commands allowed)', async () => {
    const c = await compiled(cfg('  w:\n    jobs: [{a: {pre-steps: [hello, {run: pre}], post-steps: [{run: post}]}}]\n', 'commands:\n  hello: {steps: [{run: hi}]}\n'));
    expect(c.jobs.a.steps).toEqual([{ run: { command: 'hi' } }, { run: { command: 'pre' } }, { run: { command: 'a' } }, { run: { command: 'post' } }]);
  });
  it('reports pipeline-parameter and matrix references correctly in invocation arguments', async () => {
    const c = await compiled(cfg('  w:\n    jobs: [{b: {v: << pipeline.parameters.p >>}}]\n', 'parameters:\n  p: {type: string, default: pv}\n'));
    expect(c.jobs.b.steps).toEqual([{ run: { command: 'b pv' } }]);
    expect(messages(await compile(cfg('  w:\n    jobs: [{b: {v: << matrix.x >>}}]\n')))).toEqual(['Arguments referenced without declared parameters: matrix.x']);
  });
  it('emits workflows: version: 2 and keeps legacy triggers', async () => {
    const c = await compiled(cfg('  version: 2\n  nightly:\n    triggers: [{schedule: {cron: "0 0 * * *", filters: {branches: {only: main}}}}]\n    jobs: [a]\n'));
    expect(c.workflows).toEqual({ nightly: { triggers: [{ schedule: { cron: '0 0 * * *', filters: { branches: { only: 'main' } } } }], jobs: ['a'] }, version: 2 });
  });
  it('adds an implicit workflow for a lone build job', async () => {
    const c = await compiled('version: 2.1\njobs:\n  build: {docker: [{image: x}], steps: [checkout]}\n');
    expect(c.workflows).toEqual({ workflow: { jobs: ['build'] }, version: 2 });
  });
});

describe('workflow when/unless', () => {
  const two = (when: string, params = ''): string => cfg(`  yes-wf:\n    when: ${when}\n    jobs: [a]\n  no-wf:\n    unless: ${when}\n    jobs: [b]\n`, params);
  it('keeps workflows whose condition holds and removes the when key', async () => {
    const c = await compiled(two('<< pipeline.parameters.go >>', 'parameters:\n  go: {type: boolean, default: true}\n'));
    expect(c.workflows).toEqual({ 'yes-wf': { jobs: ['a'] }, version: 2 });
    expect(Object.keys(c.jobs)).toEqual(['a']);
  });
  it('evaluates logic statements and bare expressions', async () => {
    expect(Object.keys((await compiled(two('{equal: [main, << pipeline.git.branch >>]}'))).workflows)).toEqual(['yes-wf', 'version']);
    expect(Object.keys((await compiled(two('pipeline.git.branch == "dev"'))).workflows)).toEqual(['no-wf', 'version']);
    expect(Object.keys((await compiled(two('{and: [true, {not: {matches: {pattern: "^feat/.*$", value: << pipeline.git.branch >>}}}]}'))).workflows)).toEqual([
      'yes-wf',
      'version',
    ]);
  });
  it('honours trigger-supplied pipeline parameters', async () => {
    const c = await compiled(two('<< pipeline.parameters.go >>', 'parameters:\n  go: {type: boolean, default: true}\n'), { pipelineParameters: { go: false } });
    expect(Object.keys(c.workflows)).toEqual(['no-wf', 'version']);
  });
  it('warns (CircleCI fails the pipeline) when every workflow is filtered out', async () => {
    const r = await compile(cfg('  w:\n    when: false\n    jobs: [a]\n'));
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', message: 'All Workflows have been filtered from this Pipeline.' })]);
    expect(r.compiled).toEqual({ version: 2, jobs: {}, workflows: { version: 2 } });
  });
  it('reports an empty and/or', async () => {
    const m = messages(await compile(cfg('  w:\n    when: {and: []}\n    jobs: [a]\n')));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/non-empty|and/);
  });
});

describe('workflows version key', () => {
  it('is emitted first when the input had it first', async () => {
    const c = await compiled(cfg('  version: 2\n  w: {jobs: [a]}\n'));
    expect(Object.keys(c.workflows)).toEqual(['version', 'w']);
  });
});

describe('malformed workflow expressions', () => {
  it('warn that the text is taken as a true string', async () => {
    const r = await compile(cfg('  w:\n    when: pipeline.git.branch = "main"\n    jobs: [a]\n'));
    expect(r.diagnostics.map((d) => [d.severity, d.message])).toEqual([['warning', `'pipeline.git.branch = "main"' is not a valid expression; it is treated as a non-empty (true) string`]]);
  });
});
