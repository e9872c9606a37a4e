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
  it('still stops an exponential expansion at the step budget when command expansions are reused', async () => {
    const levels = ['c0: {steps: [{run: a}, {run: b}, {run: c}, {run: d}, {run: e}, {run: f}, {run: g}, {run: h}, {run: i}, {run: j}]}'];
    for (let i = 1; i <= 4; i++) levels.push(`c${i}: {steps: [${Array(10).fill(`c${i - 1}`).join(', ')}]}`);
    const r = await compile(wrap(`{${levels.join(', ')}}`, '[c4]'));
    expect(messages(r)).toEqual(['The config expands to more than 50000 steps (a command may be invoking itself)']);
    expect(r.diagnostics[0].path).toBe('commands.c0.steps[9]');
    expect(r.diagnostics[0].context).toEqual(["Error calling workflow: 'w'", "Error calling job: 'j'", ...[4, 3, 2, 1, 0].map((i) => `Error calling command: 'c${i}'`)]);
  });
  it('gives every use of a command its own steps (reused expansions are copied per job)', async () => {
    const src = yml`
      version: 2.1
      commands: {c: {parameters: {m: {type: string, default: o}}, steps: [{run: "<< parameters.m >>"}, {save_cache: {key: k, paths: [a]}}]}}
      jobs:
        j1: {docker: [{image: x}], steps: [c, {c: {m: y}}, c]}
        j2: {docker: [{image: x}], steps: [c]}
      workflows: {w: {jobs: [j1, j2]}}
    `;
    const c = await compiled(src);
    expect(c.jobs.j1.steps).toEqual([{ run: { command: 'o' } }, { save_cache: { key: 'k', paths: ['a'] } }, { run: { command: 'y' } }, { save_cache: { key: 'k', paths: ['a'] } }, { run: { command: 'o' } }, { save_cache: { key: 'k', paths: ['a'] } }]);
    expect(c.jobs.j2.steps).toEqual(c.jobs.j1.steps.slice(0, 2));
    expect(c.jobs.j2.steps[0]).not.toBe(c.jobs.j1.steps[0]);
    expect(c.jobs.j1.steps[4]).not.toBe(c.jobs.j1.steps[0]);
    expect(c.jobs.j1.steps[5].save_cache.paths).not.toBe(c.jobs.j1.steps[1].save_cache.paths);
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
