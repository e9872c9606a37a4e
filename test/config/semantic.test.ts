// Whole-compile behaviour: versions, 2.0 pass-through, setup, determinism, positions.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkContinuation, compileConfig } from '../../src/config/index.ts';
import { CONFIGS_DIR } from '../fixtures/index.ts';
import { compile, compiled, dirSource, messages, PIPELINE_VALUES } from './helpers.ts';

describe('versions', () => {
  it('requires a version and rejects unknown versions', async () => {
    expect(messages(await compile('jobs: {}\n'))[0]).toMatch(/version/);
    expect(messages(await compile('version: 3\njobs: {}\n'))).toEqual(["Unsupported config version '3': expected 2.1 (or 2 / 2.0)"]);
  });
  it('passes 2.0 configs through unchanged', async () => {
    const src = 'version: 2\njobs:\n  build:\n    docker: [{image: x}]\n    steps: [checkout, {run: make}]\nworkflows:\n  version: 2\n  w: {jobs: [build]}\n';
    const c = await compiled(src);
    expect(c).toEqual({ version: 2, jobs: { build: { docker: [{ image: 'x' }], steps: ['checkout', { run: 'make' }] } }, workflows: { version: 2, w: { jobs: ['build'] } } });
  });
  it('rejects 2.1-only keys in 2.0 configs', async () => {
    expect(messages(await compile('version: 2\norbs: {a: b/c@1}\njobs: {}\n'))).toEqual(["'orbs' requires config version 2.1"]);
  });
  it('marks setup configs and drops setup from the output', async () => {
    const r = await compile('version: 2.1\nsetup: true\njobs: {j: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [j]}}\n');
    expect(r.setup).toBe(true);
    expect(Object.keys(r.compiled ?? {})).toEqual(['version', 'jobs', 'workflows']);
  });
});

describe('call chain', () => {
  it('records CircleCI’s "Error calling …" chain on diagnostics', async () => {
    const r = await compile(
      'version: 2.1\ncommands:\n  outer: {steps: [inner]}\n  inner: {parameters: {a: {type: string}}, steps: [{run: "<< parameters.a >>"}]}\njobs:\n  j: {docker: [{image: x}], steps: [outer]}\nworkflows: {ci: {jobs: [j]}}\n',
    );
    expect(r.diagnostics.map((d) => [d.message, d.context])).toEqual([
      ['Missing required argument(s): a', ["Error calling workflow: 'ci'", "Error calling job: 'j'", "Error calling command: 'outer'", "Error calling command: 'inner'"]],
    ]);
  });
});

describe('compile contract', () => {
  const file = path.join(CONFIGS_DIR, 'CircleCI-Public__python-orb__test-deploy.yml');
  it('is deterministic', async () => {
    const src = readFileSync(file, 'utf8');
    const a = await compileConfig(src, { orbSource: dirSource, pipelineValues: PIPELINE_VALUES });
    const b = await compileConfig(src, { orbSource: dirSource, pipelineValues: PIPELINE_VALUES });
    expect(a.compiledYaml).not.toBeNull();
    expect(a.compiledYaml).toBe(b.compiledYaml);
  });
  it('returns output that shares nothing with cached orb data', async () => {
    const src = readFileSync(file, 'utf8');
    const a = await compileConfig(src, { orbSource: dirSource, pipelineValues: PIPELINE_VALUES });
    const scramble = (v: unknown): void => {
      if (typeof v !== 'object' || v === null) return;
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (typeof o[k] === 'object' && o[k] !== null) scramble(o[k]);
        else o[k] = 'X';
      }
    };
    scramble(a.compiled);
    const b = await compileConfig(src, { orbSource: dirSource, pipelineValues: PIPELINE_VALUES });
    expect(b.compiledYaml).toBe(a.compiledYaml);
  });
  it('does not mutate its options', async () => {
    const opts = { pipelineValues: { ...PIPELINE_VALUES }, pipelineParameters: {} };
    const before = JSON.stringify(opts);
    await compileConfig(readFileSync(file, 'utf8'), { ...opts, orbSource: dirSource });
    expect(JSON.stringify(opts)).toBe(before);
  });
  it('returns diagnostics as data with path, line and column, never throwing', async () => {
    const r = await compile('version: 2.1\njobs:\n  j:\n    docker: [{image: x}]\n    steps:\n      - checkout\n      - nope\nworkflows: {w: {jobs: [j]}}\n');
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        message: 'Cannot find a definition for command named nope',
        path: 'jobs.j.steps[1]',
        line: 7,
        column: 9,
        context: ["Error calling workflow: 'w'", "Error calling job: 'j'"],
      },
    ]);
    expect(r.compiled).toBeNull();
    expect(r.compiledYaml).toBeNull();
    for (const junk of ['', '[]', '"x"', 'version: 2.1\n', 'version: 2.1\nworkflows: 3\n', 'version: 2.1\njobs: []\nworkflows: {w: {jobs: [a]}}\n']) {
      const x = await compile(junk);
      expect(x.compiled).toBeNull();
      expect(x.diagnostics.length).toBeGreaterThan(0);
    }
  });
});

describe('dynamic config', () => {
  const setupSrc = 'version: 2.1\nsetup: true\nparameters:\n  p: {type: string, default: a}\n';
  const contSrc = 'version: 2.1\nparameters:\n  p: {type: string, default: b}\njobs: {j: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [j]}}\n';
  it('rejects setup: true outside 2.1', async () => {
    expect(messages(await compile('version: 2\nsetup: true\njobs: {}\n'))).toEqual(['setup: true requires config version 2.1']);
  });
  it('reports Conflicting pipeline parameters.', () => {
    expect(checkContinuation({ setupSource: setupSrc, continuationSource: contSrc, passed: { p: 'x' }, trigger: { p: 'z' } })).toEqual([
      { severity: 'error', message: 'Conflicting pipeline parameters.', path: 'parameters' },
    ]);
    expect(checkContinuation({ setupSource: setupSrc, continuationSource: contSrc, passed: { p: 'x' }, trigger: { p: 'a' } })).toEqual([]);
    expect(checkContinuation({ setupSource: setupSrc, continuationSource: contSrc, passed: { p: 'x' }, trigger: {} })).toEqual([]);
  });
  it('rejects a continuation that is itself a setup config', () => {
    expect(checkContinuation({ setupSource: setupSrc, continuationSource: setupSrc, passed: {}, trigger: {} }).map((d) => d.message)).toEqual([
      'A continuation config cannot itself be a setup config (setup: true)',
    ]);
  });
  it('compiles the continuation with passed parameters; each config uses its own defaults', async () => {
    const c = await compiled(contSrc.replace('steps: [checkout]', 'steps: [{run: "<< pipeline.parameters.p >>"}]'));
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'b' } }]);
    expect(messages(await compile(contSrc, { pipelineParameters: { q: 1 } }))).toEqual(['Unexpected argument(s): q']);
  });
});
