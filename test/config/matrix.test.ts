// Matrix jobs: expansion, excludes, names, aliases, per-instance substitution.
import { describe, expect, it } from 'vitest';
import { expandMatrix, matrixInstanceName } from '../../src/config/matrix.ts';
import { Diags } from '../../src/config/util.ts';
import { compile, compiled, messages, yml } from './helpers.ts';

const base = yml`
  version: 2.1
  jobs:
    build:
      parameters:
        version: {type: string, default: "1"}
        platform: {type: string, default: linux}
      docker: [{image: "x:<< parameters.version >>"}]
      steps: [{run: "build << parameters.platform >>"}]
    deploy:
      parameters: {version: {type: string, default: "1"}}
      docker: [{image: x}]
      steps: [{run: "deploy << parameters.version >>"}]
    after: {docker: [{image: x}], steps: [checkout]}
`;

describe('matrix', () => {
  it('expands the product minus excludes', () => {
    const d = new Diags();
    const m = expandMatrix({ parameters: { a: [1, 2, 3], b: [4, 5, 6] }, exclude: [{ a: 3, b: 5 }] }, [], d);
    expect(m.instances).toHaveLength(8);
    expect(m.instances).not.toContainEqual({ a: 3, b: 5 });
    expect(d.items).toEqual([]);
  });
  it('names instances by values of alphabetically sorted parameter names', () => {
    expect(matrixInstanceName('build', { version: '0.1', platform: 'macos' })).toBe('build-macos-0.1');
    expect(matrixInstanceName('test', { os: 'docker', 'node-version': '14.17.6' })).toBe('test-14.17.6-docker');
    expect(matrixInstanceName('node/test', { v: 18 })).toBe('node/test-18');
    expect(matrixInstanceName('t', { b: true })).toBe('t-true');
  });
  it('compiles one job per instance and expands the default alias in requires', async () => {
    const c = await compiled(`${base}workflows:\n  w:\n    jobs:\n      - build: {matrix: {parameters: {version: ["1", "2"], platform: [linux, mac]}, exclude: [{version: "2", platform: mac}]}}\n      - after: {requires: [build]}\n`);
    expect(Object.keys(c.jobs).sort()).toEqual(['after', 'build-linux-1', 'build-linux-2', 'build-mac-1']);
    expect(c.jobs['build-mac-1']).toEqual({ docker: [{ image: 'x:1' }], steps: [{ run: { command: 'build mac' } }] });
    expect(c.workflows.w.jobs).toEqual(['build-linux-1', 'build-mac-1', 'build-linux-2', { after: { requires: ['build-linux-1', 'build-mac-1', 'build-linux-2'] } }]);
  });
  it('supports a custom alias, and << matrix.x >> in name and requires (1:1 pairing)', async () => {
    const c = await compiled(
      `${base}workflows:\n  w:\n    jobs:\n      - build: {name: "b-<< matrix.version >>", matrix: {alias: builds, parameters: {version: ["1", "2"]}}}\n      - deploy: {name: "d-v<< matrix.version >>", requires: ["b-<< matrix.version >>"], matrix: {parameters: {version: ["1", "2"]}}}\n      - after: {requires: [builds, deploy]}\n`,
    );
    expect(c.workflows.w.jobs).toEqual([
      'b-1',
      'b-2',
      { 'd-v1': { requires: ['b-1'] } },
      { 'd-v2': { requires: ['b-2'] } },
      { after: { requires: ['b-1', 'b-2', 'd-v1', 'd-v2'] } },
    ]);
  });
  it('reports a matrix parameter the job does not declare', async () => {
    const r = await compile(`${base}workflows:\n  w:\n    jobs: [{after: {matrix: {parameters: {os: [a, b]}}}}]\n`);
    expect(messages(r)).toEqual(["Matrix parameter 'os' is not a parameter of job after"]);
    expect(r.diagnostics[0].path).toBe('workflows.w.jobs[0].after.matrix.parameters.os');
  });
  it('substitutes pipeline parameters in matrix values before expansion', async () => {
    const c = await compiled(`${base.replace('version: 2.1\n', 'version: 2.1\nparameters:\n  v: {type: string, default: "9"}\n')}workflows:\n  w:\n    jobs: [{deploy: {matrix: {parameters: {version: ["<< pipeline.parameters.v >>", "8"]}}}}]\n`);
    expect(Object.keys(c.jobs).sort()).toEqual(['deploy-8', 'deploy-9']);
  });
  it('works for approval jobs', async () => {
    const c = await compiled(`${base}workflows:\n  w:\n    jobs: [{hold: {type: approval, name: "hold-<< matrix.env >>", matrix: {parameters: {env: [a, b]}}}}]\n`);
    expect(c.workflows.w.jobs).toEqual([{ 'hold-a': { type: 'approval' } }, { 'hold-b': { type: 'approval' } }]);
  });
  it('reports an ambiguous name that is both an alias and a job name', async () => {
    const r = await compile(`${base}workflows:\n  w:\n    jobs:\n      - deploy: {matrix: {alias: after, parameters: {version: ["1"]}}}\n      - after\n      - build: {requires: [after]}\n`);
    expect(messages(r)).toEqual(["Job 'build' requires 'after', which is both a job name and a matrix alias in workflow 'w'"]);
  });
  it('requires parameters in matrix', async () => {
    const m = messages(await compile(`${base}workflows:\n  w:\n    jobs: [{deploy: {matrix: {alias: x}}}]\n`));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/parameters/);
  });
});

describe('matrix size', () => {
  it('rejects a matrix of more than 500 instances (the per-workflow job limit)', () => {
    const d = new Diags();
    const ten = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(expandMatrix({ parameters: { a: ten, b: ten, c: ten, d: ten } }, [], d).instances).toEqual([]);
    expect(d.items.map((i) => i.message)).toEqual(['matrix expands to 10000 jobs; at most 500 are allowed']);
  });
});
