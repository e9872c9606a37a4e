// Structural validation: circlet's own rules, compared with the reference JSON schema (a test
// fixture, read at run time) on real configs and on hand-made invalid ones.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { structureIssues, validateStructure } from '../../src/config/schema.ts';
import { parseYaml } from '../../src/config/parse.ts';
import { CONFIG_SCHEMA as schemaPath, CONFIGS_DIR as configsDir, ORBS_DIR as orbsDir } from '../fixtures/index.ts';

/** YAML 1.1 as the reference tooling reads it: merge keys, no alias limit. */
function parse11(text: string): unknown {
  return parseDocument(text, { version: '1.1', merge: true, uniqueKeys: false }).toJS({ maxAliasCount: -1 });
}

function referenceValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  return ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
}

/** JSON pointers the reference schema complains about (an unknown key counts at the key itself). */
function referencePaths(errors: ErrorObject[] | null | undefined): Set<string> {
  const out = new Set<string>();
  for (const e of errors ?? []) {
    out.add(e.instancePath);
    if (e.keyword === 'additionalProperties') {
      out.add(`${e.instancePath}/${String((e.params as { additionalProperty: string }).additionalProperty).replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
  }
  return out;
}

const pointer = (segs: readonly (string | number)[]) =>
  segs.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

const configFiles = readdirSync(configsDir).filter((f) => f.endsWith('.yml')).sort();

describe('real configs', () => {
  it('(a) no error on any 2.1 config the reference schema accepts', () => {
    const validate = referenceValidator();
    let accepted = 0;
    for (const file of configFiles) {
      const doc = parse11(readFileSync(join(configsDir, file), 'utf8')) as { version?: unknown };
      if (String(doc.version) !== '2.1') continue;
      if (!validate(doc)) continue;
      accepted++;
      expect({ file, diagnostics: validateStructure(doc) }).toEqual({ file, diagnostics: [] });
    }
    expect(accepted).toBeGreaterThanOrEqual(10);
  });

  it('no error on any config as the compiler parses it (YAML 1.1 booleans, `.` stays a string)', () => {
    for (const file of configFiles) {
      const parsed = parseYaml(readFileSync(join(configsDir, file), 'utf8'));
      expect(parsed.diagnostics).toEqual([]);
      expect({ file, diagnostics: validateStructure(parsed.value) }).toEqual({ file, diagnostics: [] });
    }
  });

  it('no error on any packed orb, checked as an inline orb', () => {
    const namespaces = readdirSync(orbsDir, { withFileTypes: true }).filter((d) => d.isDirectory());
    let count = 0;
    for (const ns of namespaces) {
      for (const file of readdirSync(join(orbsDir, ns.name)).filter((f) => f.endsWith('.yml'))) {
        const orb = parseYaml(readFileSync(join(orbsDir, ns.name, file), 'utf8')).value;
        const doc = { version: 2.1, orbs: { packed: orb } };
        expect({ file, diagnostics: validateStructure(doc) }).toEqual({ file, diagnostics: [] });
        count++;
      }
    }
    expect(count).toBeGreaterThan(10);
  });
});

// ---------------------------------------------------------------------------------------------
// (b) invalid configs: both validators report an error, and every path circlet reports is one
// the reference schema reports too.

const base = {
  version: 2.1,
  jobs: { build: { docker: [{ image: 'cimg/base:stable' }], steps: ['checkout', { run: 'make' }] } },
  workflows: { main: { jobs: ['build'] } },
};
type Doc = Record<string, any>;
const clone = (): Doc => structuredClone(base) as Doc;
const withJob = (job: Doc): Doc => ({ ...clone(), jobs: { build: job } });
const withSteps = (...steps: unknown[]): Doc => withJob({ docker: [{ image: 'x' }], steps });
const withEntry = (entry: unknown, extra: Doc = {}): Doc => ({ ...clone(), workflows: { main: { jobs: ['build', entry], ...extra } } });

const invalid: { name: string; doc: Doc; path: string }[] = [
  { name: 'version 3', doc: { ...clone(), version: 3 }, path: '/version' },
  { name: 'run without command', doc: withSteps({ run: { name: 'x' } }), path: '/jobs/build/steps/0/run' },
  { name: 'run.when out of enum', doc: withSteps({ run: { command: 'x', when: 'sometimes' } }), path: '/jobs/build/steps/0/run/when' },
  { name: 'run.max_auto_reruns out of range', doc: withSteps({ run: { command: 'x', max_auto_reruns: 9 } }), path: '/jobs/build/steps/0/run/max_auto_reruns' },
  { name: 'save_cache without key', doc: withSteps({ save_cache: { paths: ['a'] } }), path: '/jobs/build/steps/0/save_cache' },
  { name: 'attach_workspace without at', doc: withSteps({ attach_workspace: {} }), path: '/jobs/build/steps/0/attach_workspace' },
  { name: 'store_test_results path a list', doc: withSteps({ store_test_results: { path: ['a'] } }), path: '/jobs/build/steps/0/store_test_results/path' },
  { name: 'step with two keys', doc: withSteps({ run: 'x', name: 'y' }), path: '/jobs/build/steps/0' },
  { name: 'steps not a list', doc: withJob({ docker: [{ image: 'x' }], steps: 'make' }), path: '/jobs/build/steps' },
  { name: 'job without steps', doc: withJob({ docker: [{ image: 'x' }] }), path: '/jobs/build' },
  { name: 'job without executor', doc: withJob({ steps: ['checkout'] }), path: '/jobs/build' },
  { name: 'job with docker and machine', doc: withJob({ docker: [{ image: 'x' }], machine: true, steps: ['checkout'] }), path: '/jobs/build' },
  { name: 'unknown job key', doc: withJob({ docker: [{ image: 'x' }], steps: ['checkout'], workdir: '/tmp' }), path: '/jobs/build/workdir' },
  { name: 'parallelism a word', doc: withJob({ docker: [{ image: 'x' }], steps: ['checkout'], parallelism: 'many' }), path: '/jobs/build/parallelism' },
  { name: 'circleci_ip_ranges a string', doc: withJob({ docker: [{ image: 'x' }], steps: ['checkout'], circleci_ip_ranges: 'yes please' }), path: '/jobs/build/circleci_ip_ranges' },
  { name: 'docker image without image', doc: withJob({ docker: [{ name: 'db' }], steps: ['checkout'] }), path: '/jobs/build/docker/0' },
  { name: 'docker auth without password', doc: withJob({ docker: [{ image: 'x', auth: { username: 'u' } }], steps: ['checkout'] }), path: '/jobs/build/docker/0/auth' },
  { name: 'unknown docker key', doc: withJob({ docker: [{ image: 'x', ports: [80] }], steps: ['checkout'] }), path: '/jobs/build/docker/0/ports' },
  { name: 'macos without xcode', doc: withJob({ macos: {}, steps: ['checkout'] }), path: '/jobs/build/macos' },
  { name: 'machine with unknown key', doc: withJob({ machine: { image: 'ubuntu', cpu: 4 }, steps: ['checkout'] }), path: '/jobs/build/machine/cpu' },
  { name: 'command without steps', doc: { ...clone(), commands: { greet: { description: 'hi' } } }, path: '/commands/greet' },
  { name: 'executor with unknown key', doc: { ...clone(), executors: { e: { docker: [{ image: 'x' }], image: 'y' } } }, path: '/executors/e/image' },
  { name: 'parameter of unknown type', doc: withJob({ docker: [{ image: 'x' }], steps: ['checkout'], parameters: { p: { type: 'float' } } }), path: '/jobs/build/parameters/p/type' },
  { name: 'parameter without type', doc: withJob({ docker: [{ image: 'x' }], steps: ['checkout'], parameters: { p: { default: 'a' } } }), path: '/jobs/build/parameters/p' },
  { name: 'pipeline parameter without default', doc: { ...clone(), parameters: { deploy: { type: 'boolean' } } }, path: '/parameters/deploy' },
  { name: 'pipeline parameter of type steps', doc: { ...clone(), parameters: { s: { type: 'steps', default: [] } } }, path: '/parameters/s/type' },
  { name: 'orb ref without version', doc: { ...clone(), orbs: { node: 'circleci/node' } }, path: '/orbs/node' },
  { name: 'workflow without jobs', doc: { ...clone(), workflows: { main: { triggers: [] } } }, path: '/workflows/main' },
  { name: 'workflow jobs empty', doc: { ...clone(), workflows: { main: { jobs: [] } } }, path: '/workflows/main/jobs' },
  { name: 'workflow with when and unless', doc: withEntry('build', { when: true, unless: false }), path: '/workflows/main' },
  { name: 'workflow when: and of nothing', doc: withEntry('build', { when: { and: [] } }), path: '/workflows/main/when/and' },
  { name: 'schedule trigger with unknown key', doc: withEntry('build', { triggers: [{ cron: '0 0 * * *' }] }), path: '/workflows/main/triggers/0/cron' },
  { name: 'job entry with two keys', doc: withEntry({ build: null, requires: ['build'] }), path: '/workflows/main/jobs/1' },
  { name: 'requires with an unknown status', doc: withEntry({ build: { name: 'b2', requires: [{ build: 'done' }] } }), path: '/workflows/main/jobs/1/build/requires/0/build' },
  { name: 'requires not a list', doc: withEntry({ build: { name: 'b2', requires: { build: 'success' } } }), path: '/workflows/main/jobs/1/build/requires' },
  { name: 'context a number', doc: withEntry({ build: { name: 'b2', context: 42 } }), path: '/workflows/main/jobs/1/build/context' },
  { name: 'branch filter a number', doc: withEntry({ build: { name: 'b2', filters: { branches: { only: 7 } } } }), path: '/workflows/main/jobs/1/build/filters/branches/only' },
  { name: 'unknown branch filter key', doc: withEntry({ build: { name: 'b2', filters: { branches: { except: 'main' } } } }), path: '/workflows/main/jobs/1/build/filters/branches/except' },
  { name: 'matrix without parameters', doc: withEntry({ build: { matrix: { alias: 'all' } } }), path: '/workflows/main/jobs/1/build/matrix' },
  { name: 'serial-group empty', doc: withEntry({ build: { name: 'b2', 'serial-group': '' } }), path: '/workflows/main/jobs/1/build/serial-group' },
  { name: 'when step without condition', doc: withSteps({ when: { steps: ['checkout'] } }), path: '/jobs/build/steps/0/when' },
  { name: 'matches without value', doc: withSteps({ when: { condition: { matches: { pattern: 'x' } }, steps: ['checkout'] } }), path: '/jobs/build/steps/0/when/condition/matches' },
];

describe('(b) invalid configs: same paths as the reference schema', () => {
  const validate = referenceValidator();
  it.each(invalid)('$name', ({ doc, path }) => {
    expect(validate(doc as object)).toBe(false);
    const reference = referencePaths((validate as { errors?: ErrorObject[] | null }).errors);
    expect(reference).toContain(path);
    const ours = structureIssues(doc).map((i) => pointer(i.path));
    expect(ours).toContain(path);
    for (const p of ours) expect(reference).toContain(p);
  });

  it('the base config is valid for both', () => {
    expect(validate(clone())).toBe(true);
    expect(validateStructure(clone())).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// (c) exact messages

const errorsOf = (doc: unknown) => validateStructure(doc).map((d) => `${d.path}: ${d.message}`);

describe('(c) messages', () => {
  it('diagnostics are errors with a dotted path and no position', () => {
    expect(validateStructure(withSteps({ run: { name: 'x' } }))).toEqual([
      { severity: 'error', message: "missing required key 'command'", path: 'jobs.build.steps[0].run' },
    ]);
  });

  it('document level', () => {
    expect(errorsOf('version: 2.1')).toEqual([": expected a config (a map), got 'version: 2.1'"]);
    expect(errorsOf({ jobs: {} })).toEqual([": missing required key 'version'"]);
    expect(errorsOf({ ...clone(), version: '2.2' })).toEqual(["version: expected version 2.1, got '2.2'"]);
    expect(errorsOf({ ...clone(), setup: 'yes' })).toEqual(["setup: expected a boolean, got 'yes'"]);
    expect(errorsOf({ ...clone(), version: 2, orbs: { node: 'circleci/node@5' } })).toEqual(["orbs: 'orbs' needs version 2.1"]);
  });

  it('unknown top-level keys are anchor holders', () => {
    expect(errorsOf({ ...clone(), references: { a: 1 }, 'x-defaults': [1, 2], aliases: 'x' })).toEqual([]);
  });

  it('steps', () => {
    expect(errorsOf(withSteps({ run: { command: 'x', background: 'sometimes' } }))).toEqual([
      "jobs.build.steps[0].run.background: expected a boolean, got 'sometimes'",
    ]);
    expect(errorsOf(withSteps({ run: { command: 'x', when: 'later' } }))).toEqual([
      "jobs.build.steps[0].run.when: expected one of on_success, on_fail, always, got 'later'",
    ]);
    expect(errorsOf(withSteps({ run: { command: 'x', max_auto_reruns: 6 } }))).toEqual([
      'jobs.build.steps[0].run.max_auto_reruns: expected an integer from 1 to 5, got 6',
    ]);
    expect(errorsOf(withSteps({ run: { command: 'x', no_output_timeout: 'forever' } }))).toEqual([
      "jobs.build.steps[0].run.no_output_timeout: expected a duration like 10m, 30s or 1h, got 'forever'",
    ]);
    expect(errorsOf(withSteps({ run: 'x', name: 'y' }))).toEqual([
      "jobs.build.steps[0]: a step must be a map with exactly one key, got 'run', 'name'",
    ]);
    expect(errorsOf(withSteps({}))).toEqual(['jobs.build.steps[0]: a step must be a map with exactly one key, got none']);
    expect(errorsOf(withSteps(42))).toEqual(['jobs.build.steps[0]: expected a step (a name, or a map with one key), got 42']);
    expect(errorsOf(withSteps('save_cache'))).toEqual(["jobs.build.steps[0]: step 'save_cache' needs arguments"]);
    expect(errorsOf(withSteps({ restore_cache: { name: 'r' } }))).toEqual([
      "jobs.build.steps[0].restore_cache: missing required key 'key' or 'keys'",
    ]);
    expect(errorsOf(withSteps({ persist_to_workspace: { root: '.' } }))).toEqual([
      "jobs.build.steps[0].persist_to_workspace: missing required key 'paths'",
    ]);
    expect(errorsOf(withSteps({ checkout: { method: 'deep' } }))).toEqual([
      "jobs.build.steps[0].checkout.method: expected one of blobless, full, shallow, got 'deep'",
    ]);
    expect(errorsOf(withSteps({ save_cache: { key: 'k', paths: [1] } }))).toEqual([
      'jobs.build.steps[0].save_cache.paths[0]: expected a string, got 1',
    ]);
    // A typo of a step type is named as such, not as a bad argument.
    expect(errorsOf(withSteps({ rn: 'echo hi' }))).toEqual([
      "jobs.build.steps[0].rn: unknown step type 'rn': not a built-in step (run, deploy, checkout, setup_remote_docker, save_cache, restore_cache, store_artifacts, store_test_results, persist_to_workspace, attach_workspace, add_ssh_keys) or a command defined in this config",
    ]);
  });

  it('steps accept what CircleCI accepts', () => {
    expect(
      errorsOf(
        withSteps(
          'checkout',
          { checkout: null },
          'setup_remote_docker',
          { run: { command: 'x', description: 'extra keys in built-in steps are ignored by CircleCI' } },
          { store_artifacts: { path: 'a', when: 'always' } },
          { persist_to_workspace: { root: '.', paths: 'one-path' } },
          { add_ssh_keys: { fingerprints: 'SHA256:one-fingerprint-as-a-string' } },
          { 'orb/command': { arg: 1 } },
          'local-command',
          { steps: '<< parameters.extra >>' },
          { when: { condition: true, steps: { run: 'single step' } } },
          { unless: { condition: { equal: ['a', '<< pipeline.git.branch >>'] }, steps: ['checkout'] } },
        ),
      ),
    ).toEqual([]);
  });

  it('a command may shadow a built-in step', () => {
    const doc = {
      ...withSteps({ save_cache: { anything: true } }, 'store_artifacts'),
      commands: {
        save_cache: { parameters: { anything: { type: 'boolean' } }, steps: ['checkout'] },
        store_artifacts: { steps: ['checkout'] },
      },
    };
    expect(errorsOf(doc)).toEqual([]);
  });

  it('parameter references stand for any value', () => {
    const job = {
      docker: '<< parameters.images >>',
      parallelism: '<< parameters.p >>',
      circleci_ip_ranges: '<< pipeline.parameters.ips >>',
      steps: [{ run: { command: 'x', background: '<< parameters.bg >>', max_auto_reruns: '<<parameters.n>>' } }],
    };
    expect(errorsOf(withJob(job))).toEqual([]);
    expect(errorsOf(withJob({ ...job, parallelism: '<< pipeline.git.branch == "main" and 10 or 1 >>' }))).toEqual([]);
  });

  it('jobs', () => {
    expect(errorsOf(withJob({ docker: [{ image: 'x' }], steps: ['checkout'], parallelism: 0 }))).toEqual([
      'jobs.build.parallelism: expected an integer of at least 1, got 0',
    ]);
    expect(errorsOf(withJob({ steps: ['checkout'] }))).toEqual([
      'jobs.build: a job needs an executor: one of executor, docker, machine, macos',
    ]);
    expect(errorsOf(withJob({ docker: [{ image: 'x' }], machine: true, steps: ['checkout'] }))).toEqual([
      'jobs.build: a job can use only one of docker, machine, macos; found docker, machine',
    ]);
    expect(errorsOf(withJob({ docker: [{ image: 'x' }], steps: ['checkout'], working_dir: '/x' }))).toEqual([
      "jobs.build.working_dir: unknown key 'working_dir' (did you mean 'working_directory'?)",
    ]);
    expect(errorsOf(withJob({ docker: [], steps: ['checkout'] }))).toEqual(['jobs.build.docker: expected a non-empty list']);
    expect(errorsOf(withJob({ docker: [{ image: 'x' }], steps: [] }))).toEqual(['jobs.build.steps: expected a non-empty list']);
    expect(errorsOf(withJob({ executor: { version: 1 }, steps: ['checkout'] }))).toEqual([
      "jobs.build.executor: missing required key 'name'",
    ]);
    expect(errorsOf(withJob({ docker: [{ image: 'x' }], steps: ['checkout'], resource_class: 'very large' }))).toEqual([
      "jobs.build.resource_class: expected a resource class (like medium, arm.large or namespace/runner), got 'very large'",
    ]);
    expect(errorsOf(withJob({ docker: [{ image: 'x' }], steps: ['checkout'], environment: { A: { b: 1 } } }))).toEqual([
      'jobs.build.environment.A: expected a string, number or boolean, got a map',
    ]);
    expect(errorsOf(withJob({ type: 'manual' }))).toEqual([
      "jobs.build.type: expected one of build, approval, no-op, release, lock, unlock, got 'manual'",
    ]);
    expect(errorsOf(withJob({ type: 'approval' }))).toEqual([]);
    expect(errorsOf(withJob({ type: 'release' }))).toEqual(["jobs.build: missing required key 'plan_name'"]);
    expect(errorsOf(withJob({ machine: { image: 'ubuntu-2204:current' }, resource_class: 'acme/runner', steps: ['checkout'] }))).toEqual([]);
    expect(errorsOf(withJob({ executor: 'node/default', docker: [{ image: 'override' }], steps: ['checkout'] }))).toEqual([]);
  });

  it('executors and commands', () => {
    expect(errorsOf({ ...clone(), executors: { e: { resource_class: 'large' } } })).toEqual([
      'executors.e: an executor needs one of docker, machine, macos',
    ]);
    expect(errorsOf({ ...clone(), executors: { '1e': { docker: [{ image: 'x' }] } } })).toEqual([
      "executors.1e: invalid name '1e': expected a name starting with a letter, of letters, digits, _ . -",
    ]);
    expect(errorsOf({ ...clone(), commands: { c: { steps: ['checkout'], parameter: {}, setps: [] } } })).toEqual([
      "commands.c.parameter: unknown key 'parameter' (did you mean 'parameters'?)",
      "commands.c.setps: unknown key 'setps' (did you mean 'steps'?)",
    ]);
    expect(errorsOf({ ...clone(), commands: { c: 'other-orb/command' }, executors: { e: 'other-orb/exec' } })).toEqual([]);
  });

  it('parameter declarations', () => {
    const params = (p: Doc) => withJob({ docker: [{ image: 'x' }], steps: ['checkout'], parameters: p });
    expect(errorsOf(params({ p: { type: 'enum', default: 'a' } }))).toEqual(["jobs.build.parameters.p: missing required key 'enum'"]);
    expect(errorsOf(params({ p: { type: 'enum', enum: ['a', 'b'], default: 'c' } }))).toEqual([
      "jobs.build.parameters.p.default: default 'c' is not one of a, b",
    ]);
    expect(errorsOf(params({ p: { type: 'boolean', default: 'yes' } }))).toEqual([
      "jobs.build.parameters.p.default: expected a boolean, got 'yes'",
    ]);
    expect(errorsOf(params({ p: { type: 'integer', default: 1.5 } }))).toEqual(['jobs.build.parameters.p.default: expected an integer, got 1.5']);
    expect(errorsOf(params({ p: { type: 'string', default: true } }))).toEqual([
      'jobs.build.parameters.p.default: expected a string or a number, got true',
    ]);
    expect(errorsOf(params({ p: { type: 'env_var_name', default: 'NOT-A-NAME' } }))).toEqual([
      "jobs.build.parameters.p.default: expected an environment variable name, got 'NOT-A-NAME'",
    ]);
    expect(errorsOf(params({ p: { type: 'steps', default: [{ run: {} }] } }))).toEqual([
      "jobs.build.parameters.p.default[0].run: missing required key 'command'",
    ]);
    expect(errorsOf(params({ p: { type: 'string', defualt: 'x' } }))).toEqual([
      "jobs.build.parameters.p.defualt: unknown key 'defualt' (did you mean 'default'?)",
    ]);
    expect(
      errorsOf(
        params({
          a: { type: 'string', default: '' },
          b: { type: 'boolean', default: false, description: 'd' },
          c: { type: 'integer', default: 3 },
          d: { type: 'enum', enum: ['x', 'y'], default: 'y' },
          e: { type: 'executor', default: 'default' },
          f: { type: 'executor', default: { name: 'e', version: 2 } },
          g: { type: 'steps', default: [] },
          h: { type: 'env_var_name', default: 'AWS_ACCESS_KEY_ID' },
          i: { type: 'string', default: '<< pipeline.git.branch >>' },
        }),
      ),
    ).toEqual([]);
    expect(errorsOf({ ...clone(), parameters: { p: { type: 'executor', default: 'x' }, q: { type: 'string' } } })).toEqual([
      "parameters.p.type: expected one of string, boolean, integer, enum, got 'executor'",
      "parameters.q: missing required key 'default'",
    ]);
  });

  it('orbs', () => {
    const orbs = (o: Doc) => ({ ...clone(), orbs: o });
    expect(errorsOf(orbs({ node: 'circleci/node@5.1.2', a: 'x/y@5', b: 'x/y@5.1', c: 'x/y@volatile', d: 'x/y@dev:<< pipeline.git.revision >>' }))).toEqual([]);
    expect(errorsOf(orbs({ node: 'circleci/node@<< pipeline.parameters.v >>', u: 'https://example.com/orb.yml' }))).toEqual([]);
    expect(errorsOf(orbs({ node: 'circleci/node' }))).toEqual([
      "orbs.node: expected an orb reference like namespace/name@1.2.3, got 'circleci/node'",
    ]);
    expect(errorsOf(orbs({ node: 'circleci/node@latest' }))).toEqual([
      "orbs.node: expected an orb reference like namespace/name@1.2.3, got 'circleci/node@latest'",
    ]);
    expect(errorsOf(orbs({ node: 5 }))).toEqual(['orbs.node: expected an orb reference or an inline orb, got 5']);
    expect(
      errorsOf(
        orbs({
          mine: {
            commands: { hello: { steps: [{ run: 'echo hi' }] }, save_cache: { steps: ['checkout'] } },
            jobs: { j: { docker: [{ image: 'x' }], steps: ['hello', 'save_cache', { run: {} }] } },
            executors: { e: { machine: true } },
          },
        }),
      ),
    ).toEqual(["orbs.mine.jobs.j.steps[2].run: missing required key 'command'"]);
  });

  it('workflows', () => {
    // Stricter than the reference schema, which lets any key through here.
    expect(errorsOf(withEntry('build', { schedule: 'daily' }))).toEqual(["workflows.main.schedule: unknown key 'schedule'"]);
    expect(errorsOf(withEntry({ build: { requires: [{ a: ['success', 'late'] }] } }))).toEqual([
      "workflows.main.jobs[1].build.requires[0].a[1]: expected one of success, failed, canceled, unauthorized, not_run, terminal, got 'late'",
    ]);
    expect(errorsOf(withEntry('build', { when: true, unless: false }))).toEqual([
      "workflows.main: a workflow can have 'when' or 'unless', not both",
    ]);
    expect(errorsOf(withEntry({ build: null, requires: ['x'] }))).toEqual([
      "workflows.main.jobs[1]: a workflow job entry must be a map with exactly one key, got 'build', 'requires'",
    ]);
    expect(errorsOf(withEntry({ build: { requires: [{ a: 'done' }] } }))).toEqual([
      "workflows.main.jobs[1].build.requires[0].a: expected one of success, failed, canceled, unauthorized, not_run, terminal, got 'done'",
    ]);
    expect(errorsOf(withEntry({ build: { requires: 'a' } }))).toEqual([
      "workflows.main.jobs[1].build.requires: expected a list of job names, got 'a'",
    ]);
    expect(errorsOf(withEntry({ hold: { type: 'aproval' } }))).toEqual([
      "workflows.main.jobs[1].hold.type: expected one of build, approval, no-op, release, lock, unlock, got 'aproval'",
    ]);
    expect(errorsOf(withEntry({ build: { context: [1] } }))).toEqual(['workflows.main.jobs[1].build.context[0]: expected a string, got 1']);
    expect(errorsOf(withEntry({ build: { matrix: { parameters: { v: [] } } } }))).toEqual([
      'workflows.main.jobs[1].build.matrix.parameters.v: expected a non-empty list',
    ]);
    expect(errorsOf(withEntry({ build: { filters: { branch: { only: 'main' } } } }))).toEqual([
      "workflows.main.jobs[1].build.filters.branch: unknown key 'branch' (did you mean 'branches'?)",
    ]);
    expect(errorsOf(withEntry('build', { when: { or: [{ equal: ['a', 'b'] }, { and: [] }] } }))).toEqual([
      'workflows.main.when.or[1].and: expected a non-empty list',
    ]);
    expect(errorsOf(withEntry('build', { when: { not: true, and: [true] } }))).toEqual([
      "workflows.main.when: a logic statement must have exactly one key, got 'not', 'and'",
    ]);
    expect(errorsOf(withEntry('build', { when: [true] }))).toEqual([
      'workflows.main.when: expected a logic statement (a value, or a map with one of and, or, not, equal, matches), got a list',
    ]);
    // Everything CircleCI accepts in an entry.
    expect(
      errorsOf(
        withEntry(
          {
            build: {
              name: 'build-<< matrix.v >>',
              requires: ['a', { b: 'failed' }, { c: ['success', 'canceled'] }],
              context: ['org-global'],
              filters: { branches: { only: ['main', '/release-.*/'] }, tags: { ignore: '/.*/' } },
              matrix: { parameters: { v: ['1', 2] }, exclude: [{ v: 2 }], alias: 'all' },
              'pre-steps': ['checkout'],
              'post-steps': [{ run: 'x' }],
              'serial-group': '<< pipeline.project.slug >>/deploy',
              'any-job-parameter': { anything: [1, 2] },
            },
          },
          { when: 'pipeline.git.branch == "main"', max_auto_reruns: 2, triggers: [{ schedule: { cron: '0 0 * * *', filters: { branches: { only: 'main' } } } }] },
        ),
      ),
    ).toEqual([]);
    expect(errorsOf({ ...clone(), workflows: { version: 2, main: { jobs: [{ hold: { type: 'approval' } }, { build: { requires: ['hold'], filters: 'pipeline.git.tag starts-with "v"' } }] } } })).toEqual([]);
  });
});
