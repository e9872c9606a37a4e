// Commands and steps: splicing, nesting, shadowing built-ins, when/unless steps, normalization.
import { describe, expect, it } from 'vitest';
import { compile, compiled, messages, yml } from './helpers.ts';

const wrap = (commands: string, steps: string, params = '{}'): string => yml`
  version: 2.1
  commands: ${commands}
  jobs:
    j:
      parameters: ${params}
      docker: [{image: x}]
      steps: ${steps}
  workflows: {w: {jobs: [j]}}
`;

describe('commands', () => {
  it('splices a command’s steps in place, recursively', async () => {
    const c = await compiled(
      wrap('{inner: {steps: [{run: in}]}, outer: {parameters: {m: {type: string, default: o}}, steps: [{run: "<< parameters.m >>"}, inner]}}', '[checkout, outer, {outer: {m: x}}]'),
    );
    expect(c.jobs.j.steps).toEqual(['checkout', { run: { command: 'o' } }, { run: { command: 'in' } }, { run: { command: 'x' } }, { run: { command: 'in' } }]);
  });
  it('lets a command shadow a built-in step', async () => {
    const c = await compiled(wrap('{checkout: {steps: [{run: custom checkout}]}}', '[checkout]'));
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'custom checkout' } }]);
  });
  it('reports an unknown command/step', async () => {
    const r = await compile(wrap('{}', '[checkout, nope]'));
    expect(messages(r)).toEqual(['Cannot find a definition for command named nope']);
    expect(r.diagnostics[0].path).toBe('jobs.j.steps[1]');
  });
  it('reports unexpected and missing command arguments', async () => {
    const r = await compile(wrap('{c: {parameters: {a: {type: string}}, steps: [{run: "<< parameters.a >>"}]}}', '[{c: {b: 1}}]'));
    expect(messages(r)).toEqual(['Unexpected argument(s): b', 'Missing required argument(s): a']);
  });
  it('reports a command that invokes itself', async () => {
    const r = await compile(wrap('{loop: {steps: [loop]}}', '[loop]'));
    expect(messages(r)).toEqual(['Commands are nested too deeply (a command may be invoking itself)']);
  });
  it('normalizes run strings and keeps other steps as written', async () => {
    const c = await compiled(
      wrap('{}', '[checkout, setup_remote_docker, {run: make}, {run: {name: n, command: c, when: always}}, {save_cache: {key: "k-{{ checksum \\"f\\" }}", paths: [a]}}]'),
    );
    expect(c.jobs.j.steps).toEqual([
      'checkout',
      'setup_remote_docker',
      { run: { command: 'make' } },
      { run: { name: 'n', command: 'c', when: 'always' } },
      { save_cache: { key: 'k-{{ checksum "f" }}', paths: ['a'] } },
    ]);
  });
  it('rejects a run step without a command and invalid step shapes', async () => {
    // Reported once (by the structural schema check when present, else by the compiler).
    const noCommand = messages(await compile(wrap('{}', '[{run: {name: x}}]')));
    expect(noCommand).toHaveLength(1);
    expect(noCommand[0]).toMatch(/command/);
    const shape = messages(await compile(wrap('{}', '[{run: a, name: b}]')));
    expect(shape).toHaveLength(1);
    expect(shape[0]).toMatch(/one key/);
  });
});

describe('when/unless steps', () => {
  const src = (cond: string): string =>
    wrap('{}', `[{when: {condition: ${cond}, steps: [{run: yes-branch}]}}, {unless: {condition: ${cond}, steps: [{run: no-branch}]}}]`, '{b: {type: boolean, default: true}, s: {type: string, default: ""}}');
  it('splices steps when the condition is truthy, removes them otherwise', async () => {
    expect((await compiled(src('<< parameters.b >>'))).jobs.j.steps).toEqual([{ run: { command: 'yes-branch' } }]);
    expect((await compiled(src('<< parameters.s >>'))).jobs.j.steps).toEqual([{ run: { command: 'no-branch' } }]);
  });
  it('supports logic statements', async () => {
    expect((await compiled(src('{and: [<< parameters.b >>, {not: << parameters.s >>}]}'))).jobs.j.steps).toEqual([{ run: { command: 'yes-branch' } }]);
    expect((await compiled(src('{equal: [main, << pipeline.git.branch >>]}'))).jobs.j.steps).toEqual([{ run: { command: 'yes-branch' } }]);
    expect((await compiled(src('{matches: {pattern: "^ma.*$", value: << pipeline.git.branch >>}}'))).jobs.j.steps).toEqual([{ run: { command: 'yes-branch' } }]);
  });
  it('treats the string "false" as truthy (step conditions take no expressions)', async () => {
    expect((await compiled(src('"false"'))).jobs.j.steps).toEqual([{ run: { command: 'yes-branch' } }]);
    expect((await compiled(src('pipeline.git.branch == "nope"'))).jobs.j.steps).toEqual([{ run: { command: 'yes-branch' } }]);
  });
  it('requires condition and steps', async () => {
    const m = messages(await compile(wrap('{}', '[{when: {steps: [checkout]}}]')));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/condition/);
  });
  it('works inside commands with the command’s parameters', async () => {
    const c = await compiled(
      wrap('{c: {parameters: {go: {type: boolean, default: false}}, steps: [{when: {condition: << parameters.go >>, steps: [{run: went}]}}]}}', '[c, {c: {go: true}}]'),
    );
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'went' } }]);
  });
});

describe('runaway expansion', () => {
  it('stops exponential command recursion with one diagnostic', async () => {
    const t = Date.now();
    const r = await compile(wrap('{loop: {steps: [loop, loop]}}', '[loop]'));
    expect(Date.now() - t).toBeLessThan(20_000);
    expect(messages(r)).toHaveLength(1);
    expect(messages(r)[0]).toMatch(/invoking itself/);
  });
  it('allows finite recursion driven by parameters', async () => {
    const c = await compiled(wrap('{rec: {parameters: {go: {type: boolean, default: true}}, steps: [{run: x}, {when: {condition: << parameters.go >>, steps: [{rec: {go: false}}]}}]}}', '[rec]'));
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'x' } }, { run: { command: 'x' } }]);
  });
});
