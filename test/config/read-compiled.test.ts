// The typed compiled form: table tests of the reader, and every compiled corpus config read into it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileConfig, readBuildJob, readCompiled, readJob, readStep, stepType, type Step } from '../../src/config/index.ts';
import { parseYaml } from '../../src/config/parse.ts';
import { readEnvironment } from '../../src/config/read-compiled.ts';
import { yml } from './helpers.ts';

describe('readStep', () => {
  const table: [unknown, Step][] = [
    ['checkout', { kind: 'checkout', when: 'on_success' }],
    [{ checkout: { path: 'src' } }, { kind: 'checkout', path: 'src', when: 'on_success' }],
    [{ checkout: null }, { kind: 'checkout', when: 'on_success' }],
    [{ run: 'make' }, { kind: 'run', when: 'on_success', command: 'make', environment: {}, background: false }],
    [{ deploy: 'ship' }, { kind: 'deploy', when: 'on_success', command: 'ship', environment: {}, background: false }],
    [
      { run: { name: 'Test', command: 'npm test', shell: '/bin/sh', working_directory: 'app', environment: { A: 1, B: null }, background: true, no_output_timeout: '20m', when: 'always' } },
      { kind: 'run', name: 'Test', when: 'always', command: 'npm test', shell: '/bin/sh', working_directory: 'app', environment: { A: '1', B: '' }, background: true, no_output_timeout: '20m' },
    ],
    [{ run: { command: 'x', when: 'on_fail', no_output_timeout: 90 } }, { kind: 'run', when: 'on_fail', command: 'x', environment: {}, background: false, no_output_timeout: 90 }],
    [{ run: { command: 'x', when: 'sometimes' } }, { kind: 'run', when: 'always', command: 'x', environment: {}, background: false }],
    [{ save_cache: { key: 'v1-{{ .Branch }}', paths: ['a', '', 'b'] } }, { kind: 'save_cache', when: 'on_success', key: 'v1-{{ .Branch }}', paths: ['a', 'b'] }],
    [{ save_cache: { key: 'k', paths: 'one' } }, { kind: 'save_cache', when: 'on_success', key: 'k', paths: ['one'] }],
    [{ restore_cache: { key: 'last', keys: ['first', 'second'] } }, { kind: 'restore_cache', when: 'on_success', keys: ['first', 'second', 'last'] }],
    [{ persist_to_workspace: { root: '.', paths: ['dist/*'] } }, { kind: 'persist_to_workspace', when: 'on_success', root: '.', paths: ['dist/*'] }],
    [{ attach_workspace: { at: '/tmp/ws' } }, { kind: 'attach_workspace', when: 'on_success', at: '/tmp/ws' }],
    [{ store_artifacts: { path: 'out', destination: 'd' } }, { kind: 'store_artifacts', when: 'on_success', path: 'out', destination: 'd' }],
    [{ store_test_results: { path: 'results' } }, { kind: 'store_test_results', when: 'on_success', path: 'results' }],
    [{ add_ssh_keys: { fingerprints: ['aa:bb', 7] } }, { kind: 'add_ssh_keys', when: 'on_success', fingerprints: ['aa:bb', '7'] }],
    ['add_ssh_keys', { kind: 'add_ssh_keys', when: 'on_success', fingerprints: [] }],
    [{ add_ssh_keys: { fingerprints: 'SHA256:abc' } }, { kind: 'add_ssh_keys', when: 'on_success', fingerprints: ['SHA256:abc'] }],
    [{ setup_remote_docker: { version: 'default', docker_layer_caching: true } }, { kind: 'setup_remote_docker', when: 'on_success', version: 'default', docker_layer_caching: true }],
    ['install_signing_bundle', { kind: 'install_signing_bundle', when: 'on_success' }],
    [{ 'orb/cmd': { name: 'Mine', when: 'always' } }, { kind: 'unknown', type: 'orb/cmd', source: { 'orb/cmd': { name: 'Mine', when: 'always' } }, name: 'Mine', when: 'always' }],
    [{ when: { condition: true, steps: ['checkout'] } }, { kind: 'unknown', type: 'when', source: { when: { condition: true, steps: ['checkout'] } }, when: 'on_success' }],
    [{ run: 'a', checkout: null }, { kind: 'unknown', type: 'unknown', source: { run: 'a', checkout: null }, when: 'on_success' }],
    [42, { kind: 'unknown', type: 'unknown', source: 42, when: 'on_success' }],
  ];
  it.each(table)('%j', (raw, step) => expect(readStep(raw)).toEqual(step));

  it('names steps by their config key', () => {
    expect(stepType(readStep({ run: 'x' }))).toBe('run');
    expect(stepType(readStep({ deploy: 'x' }))).toBe('deploy');
    expect(stepType(readStep({ 'orb/cmd': {} }))).toBe('orb/cmd');
    expect(stepType(readStep([]))).toBe('unknown');
  });
});

describe('readBuildJob', () => {
  it('reads executors as a tagged union (the same precedence as the engine)', () => {
    expect(readBuildJob({ docker: [{ image: 'cimg/base:stable' }, { image: 'postgres:16', name: 'db', environment: ['A=1', { B: 2 }] }, { name: 'no image' }] }).executor).toEqual({
      kind: 'docker',
      images: [
        { image: 'cimg/base:stable', environment: {} },
        { image: 'postgres:16', name: 'db', environment: { A: '1', B: '2' } },
      ],
    });
    expect(readBuildJob({ machine: true }).executor).toEqual({ kind: 'machine', docker_layer_caching: false });
    expect(readBuildJob({ machine: { image: 'ubuntu-2204:current', docker_layer_caching: true } }).executor).toEqual({ kind: 'machine', image: 'ubuntu-2204:current', docker_layer_caching: true });
    expect(readBuildJob({ machine: false }).executor).toEqual({ kind: 'none' });
    expect(readBuildJob({ macos: { xcode: '15.0.0' } }).executor).toEqual({ kind: 'macos', xcode: '15.0.0' });
    expect(readBuildJob({ windows: { name: 'win' } }).executor).toEqual({ kind: 'windows' });
    expect(readBuildJob({}).executor).toEqual({ kind: 'none' });
  });

  it('reads image options', () => {
    const job = readBuildJob({
      docker: [{ image: 'x', entrypoint: ['/bin/init', 1], command: 'serve', user: 'app', auth: { username: 'u', password: '$P' }, aws_auth: { oidc_role_arn: 'arn:x' } }],
    });
    expect(job.executor).toEqual({
      kind: 'docker',
      images: [{ image: 'x', entrypoint: ['/bin/init', '1'], command: 'serve', user: 'app', environment: {}, auth: { username: 'u', password: '$P' }, aws_auth: { oidc_role_arn: 'arn:x' } }],
    });
  });

  it('reads the job keys, with defaults', () => {
    expect(readBuildJob({ machine: true, steps: ['checkout'] })).toEqual({
      kind: 'build',
      executor: { kind: 'machine', docker_layer_caching: false },
      environment: {},
      parallelism: 1,
      resource_class: 'medium',
      steps: [{ kind: 'checkout', when: 'on_success' }],
    });
    const job = readBuildJob({ machine: true, parallelism: 4, resource_class: 'large', working_directory: '~/app', shell: '/bin/sh -e', environment: [{ A: 'x' }, { B: true }] });
    expect(job).toMatchObject({ parallelism: 4, resource_class: 'large', working_directory: '~/app', shell: '/bin/sh -e', environment: { A: 'x', B: 'true' } });
    for (const p of [0, -1, 1.5, 'many']) expect(readBuildJob({ parallelism: p }).parallelism).toBe(1);
    expect(readBuildJob({ parallelism: '3' }).parallelism).toBe(3);
    expect(readBuildJob({ resource_class: '' }).resource_class).toBe('medium');
    expect(readBuildJob({ shell: '' }).shell).toBeUndefined();
  });

  it('leaves settled jobs (approval, no-op, release) to the engine', () => {
    expect(readJob({ type: 'approval' })).toEqual({ kind: 'approval' });
    expect(readJob({ type: 'no-op' })).toEqual({ kind: 'no-op' });
    expect(readJob({ type: 'build', machine: true }).kind).toBe('build');
  });
});

describe('readEnvironment', () => {
  const table: [unknown, Record<string, string>][] = [
    [undefined, {}],
    ['A=1', {}],
    [{ A: 'x', B: 2, C: null, D: { e: 1 } }, { A: 'x', B: '2', C: '', D: '{"e":1}' }],
    [['A=1=2', { B: 'y' }, '=bad', 'nobody'], { A: '1=2', B: 'y' }],
    [[{ A: '1' }, { A: '2' }], { A: '2' }],
  ];
  it.each(table)('%j', (v, env) => expect(readEnvironment(v)).toEqual(env));
});

describe('readCompiled', () => {
  it('reads workflows with their jobs, requirements and contexts', async () => {
    const r = await compileConfig(yml`
      version: 2.1
      jobs:
        a: {docker: [{image: x}], steps: [checkout]}
        b: {machine: true, steps: [{run: make}]}
      workflows:
        ci:
          jobs:
            - a: {context: [org, ""]}
            - hold: {type: approval, requires: [a]}
            - b: {requires: [{a: [success, failed]}, hold], context: one, filters: {branches: {only: main}}}
        nightly:
          triggers: [{schedule: {cron: "0 0 * * *", filters: {branches: {only: main}}}}]
          jobs: [a]
    `);
    expect(r.config).not.toBeNull();
    const c = r.config!;
    expect(c.document).toBe(r.compiled);
    expect(Object.keys(c.jobs)).toEqual(['a', 'b']);
    expect(c.workflows).toEqual([
      {
        name: 'ci',
        scheduled: false,
        jobs: [
          { name: 'a', requires: [], contexts: ['org'] },
          { name: 'hold', type: 'approval', requires: [{ name: 'a', statuses: [] }], contexts: [] },
          { name: 'b', requires: [{ name: 'a', statuses: ['success', 'failed'] }, { name: 'hold', statuses: [] }], contexts: ['one'], filters: { branches: { only: 'main' } } },
        ],
      },
      { name: 'nightly', scheduled: true, jobs: [{ name: 'a', requires: [], contexts: [] }] },
    ]);
  });

  it('runs the build job of a 2.0 config without workflows as an implicit workflow', () => {
    const c = readCompiled({ version: 2, jobs: { build: { docker: [{ image: 'x' }], steps: ['checkout'] } } });
    expect(c.workflows).toEqual([{ name: 'workflow', scheduled: false, jobs: [{ name: 'build', requires: [], contexts: [] }] }]);
  });

  // What the compiler really emits: every step of every compiled corpus config is a built-in step,
  // except commands and executors of empty inline orbs (placeholders filled in before continuation).
  const PLACEHOLDERS = new Set(['CircleCI-Public__aws-ecr-orb__test-deploy.compiled.yml', 'CircleCI-Public__docker-orb__test-deploy.compiled.yml']);
  const snapshots = path.join(path.dirname(fileURLToPath(import.meta.url)), '__snapshots__', 'corpus');
  for (const f of readdirSync(snapshots).filter((x) => x.endsWith('.compiled.yml')).sort()) {
    it(`reads ${f}`, () => {
      const doc = parseYaml(readFileSync(path.join(snapshots, f), 'utf8')).value as Record<string, unknown>;
      const c = readCompiled(doc);
      const jobs = doc.jobs as Record<string, Record<string, unknown>>;
      expect(Object.keys(c.jobs)).toEqual(Object.keys(jobs));
      for (const [name, job] of Object.entries(c.jobs)) {
        if (job.kind !== 'build') continue;
        const unknown = job.steps.filter((s) => s.kind === 'unknown');
        if (!PLACEHOLDERS.has(f)) expect(unknown).toEqual([]);
        for (const s of unknown) expect(s.type).toMatch(/^[\w-]+\/[\w-]+$/);
        expect(job.steps).toHaveLength((jobs[name]!.steps as unknown[]).length);
        if (!PLACEHOLDERS.has(f)) expect(job.executor.kind).not.toBe('none');
      }
    });
  }
});
