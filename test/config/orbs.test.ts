// Orbs: the directory source, registry/inline/nested orbs, namespacing, versions from parameters.
import { describe, expect, it } from 'vitest';
import { parseOrbSource } from '../../src/config/orbs.ts';
import { DirectoryOrbSource } from '../../src/config/orbs/directory.ts';
import { compile, compiled, DEV_REVISION, MapOrbSource, messages, ORB_DIR, yml } from './helpers.ts';

describe('DirectoryOrbSource', () => {
  const src = new DirectoryOrbSource(ORB_DIR);
  const v = async (ns: string, name: string, version: string): Promise<string | null> => (await src.resolve({ namespace: ns, name, version }))?.resolvedVersion ?? null;
  it('resolves exact versions', async () => {
    expect(await v('circleci', 'node', '7.2.0')).toBe('7.2.0');
    expect(await v('circleci', 'node', '7.2.9')).toBeNull();
  });
  it('resolves partial versions to the highest match', async () => {
    expect(await v('circleci', 'node', '7')).toBe('7.2.1');
    expect(await v('circleci', 'node', '5')).toBe('5.3.0');
    expect(await v('circleci', 'orb-tools', '12')).toBe('12.3.1');
    expect(await v('circleci', 'orb-tools', '12.0')).toBe('12.0.4');
    expect(await v('circleci', 'node', '6')).toBeNull();
  });
  it('resolves volatile to the highest version', async () => {
    expect(await v('circleci', 'aws-cli', 'volatile')).toBe('5.1.0');
  });
  it('resolves dev:<label> to name@dev-<label>.yml', async () => {
    expect(await v('circleci', 'python', `dev:${DEV_REVISION}`)).toBe(`dev:${DEV_REVISION}`);
    expect(await v('circleci', 'python', 'dev:nope')).toBeNull();
  });
  it('returns null for unknown namespaces/names and unsafe names', async () => {
    expect(await v('nobody', 'x', '1.0.0')).toBeNull();
    expect(await v('circleci', 'nope', 'volatile')).toBeNull();
    expect(await v('..', 'x', '1')).toBeNull();
  });
  it('returns the packed source', async () => {
    const r = await src.resolve({ namespace: 'circleci', name: 'jq', version: '3.0.2' });
    expect(r?.source).toMatch(/version: 2.1/);
  });
});

const toolsOrb = yml`
  version: 2.1
  orbs:
    helper: acme/helper@1.0.0
  executors:
    default:
      parameters: {tag: {type: string, default: "1"}}
      docker: [{image: "tools:<< parameters.tag >>"}]
  commands:
    greet:
      parameters: {who: {type: string, default: world}}
      steps: [{run: "hello << parameters.who >>"}, helper/assist]
    unused: {steps: [{run: never}]}
  jobs:
    test:
      parameters: {e: {type: executor, default: default}, pre: {type: steps, default: []}}
      executor: << parameters.e >>
      steps: [{steps: << parameters.pre >>}, greet, {run: "branch << pipeline.git.branch >>"}]
`;
const helperOrb = 'version: 2.1\ncommands:\n  assist: {steps: [{run: assisting}]}\n';
const source = new MapOrbSource({ 'acme/tools@2.0.0': toolsOrb, 'acme/helper@1.0.0': helperOrb, 'acme/tools@3.0.0': toolsOrb.replace('hello', 'hi') });

describe('registry orbs', () => {
  const cfg = yml`
    version: 2.1
    parameters: {toolsv: {type: string, default: "2.0.0"}}
    orbs:
      tools: acme/tools@<< pipeline.parameters.toolsv >>
    executors:
      mine: {docker: [{image: mine}]}
    commands:
      greet: {steps: [{run: project greet}]}
    jobs:
      local:
        executor: tools/default
        steps: [tools/greet, {tools/greet: {who: me}}, greet]
    workflows:
      w:
        jobs:
          - tools/test
          - tools/test: {name: t2, e: mine, pre: [greet]}
          - tools/test: {name: t3, e: {name: tools/default, tag: "9"}}
          - local
  `;
  it('namespaces orb elements as orb/element and resolves unqualified names inside the orb', async () => {
    const c = await compiled(cfg, { orbSource: source });
    expect(c.jobs['tools/test']).toEqual({
      docker: [{ image: 'tools:1' }],
      steps: [{ run: { command: 'hello world' } }, { run: { command: 'assisting' } }, { run: { command: 'branch main' } }],
    });
    expect(c.jobs.local.steps).toEqual([
      { run: { command: 'hello world' } },
      { run: { command: 'assisting' } },
      { run: { command: 'hello me' } },
      { run: { command: 'assisting' } },
      { run: { command: 'project greet' } },
    ]);
    expect(c.jobs.local.docker).toEqual([{ image: 'tools:1' }]);
  });
  it('resolves steps and executor arguments in the caller’s scope', async () => {
    const c = await compiled(cfg, { orbSource: source });
    expect(c.jobs.t2.docker).toEqual([{ image: 'mine' }]);
    expect(c.jobs.t2.steps[0]).toEqual({ run: { command: 'project greet' } });
    expect(c.jobs.t3.docker).toEqual([{ image: 'tools:9' }]);
  });
  it('takes the orb version from pipeline parameters', async () => {
    const r = await compile(cfg, { orbSource: source, pipelineParameters: { toolsv: '3.0.0' } });
    expect((r.compiled as any).jobs['tools/test'].steps[0]).toEqual({ run: { command: 'hi world' } });
    expect(r.orbs).toEqual([
      { ref: 'acme/tools@3.0.0', resolved: 'acme/tools@3.0.0' },
      { ref: 'acme/helper@1.0.0', resolved: 'acme/helper@1.0.0' },
    ]);
    expect(r.compiledYaml).toMatch(/^# Orb 'acme\/tools@3.0.0' resolved to 'acme\/tools@3.0.0'\n# Orb 'acme\/helper@1.0.0' resolved to 'acme\/helper@1.0.0'\nversion: 2\n/);
  });
  it('takes the orb version from pipeline values (dev:<< pipeline.git.revision >>)', async () => {
    const r = await compile('version: 2.1\norbs:\n  t: acme/tools@dev:<< pipeline.git.revision >>\nworkflows: {w: {jobs: [t/test]}}\n', {
      orbSource: new MapOrbSource({ 'acme/tools@dev:abc': toolsOrb, 'acme/helper@1.0.0': helperOrb }),
      pipelineValues: { 'git.revision': 'abc' },
    });
    expect(messages(r)).toEqual([]);
  });
  it('does not let orb jobs see project commands or executors', async () => {
    const r = await compile(yml`
      version: 2.1
      commands:
        projcmd: {steps: [{run: p}]}
      executors:
        projexec: {docker: [{image: p}]}
      orbs:
        o:
          jobs:
            a: {executor: projexec, steps: [checkout]}
            b: {docker: [{image: x}], steps: [projcmd]}
      workflows: {w: {jobs: [o/a, o/b]}}
    `);
    expect(messages(r)).toEqual(['Cannot find a definition for executor named projexec', 'Cannot find a definition for command named projcmd']);
    expect(r.diagnostics.map((d) => d.path)).toEqual(['orbs.o.jobs.a.executor', 'orbs.o.jobs.b.steps[0]']);
  });
  it('reports an unresolvable executor argument once', async () => {
    const r = await compile(cfg.replace(/- tools\/test\n/, '- tools/test: {e: nope-exec}\n'), { orbSource: source });
    expect(messages(r)).toEqual(['Cannot find a definition for executor named nope-exec']);
  });
  it('reports a missing orb with one diagnostic naming it', async () => {
    const r = await compile(cfg, { orbSource: source, pipelineParameters: { toolsv: '9.9.9' } });
    expect(r.diagnostics).toEqual([
      { severity: 'error', message: 'Cannot find orb acme/tools@9.9.9: the orb or version does not exist', path: 'orbs.tools', line: 4, column: 10 },
    ]);
    expect(r.compiled).toBeNull();
  });
  it('reports registry orbs when no orb source is configured', async () => {
    expect(messages(await compile(cfg))).toEqual(['Cannot resolve orb acme/tools@2.0.0: no orb source is configured']);
  });
  it('reports invalid orb references', async () => {
    const m = messages(await compile('version: 2.1\norbs:\n  x: not-a-ref\njobs: {j: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [j]}}\n'));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/not-a-ref|orb/i);
  });
  it('reports an unknown orb element', async () => {
    const r = await compile(cfg.replace(/( *)- local\n/, '$1- local\n$1- tools/nope\n'), { orbSource: source });
    expect(messages(r)).toEqual(['Cannot find a definition for job named tools/nope']);
  });
});

describe('inline orbs', () => {
  it('compiles inline orb jobs, commands and executors, nested inline orbs and element aliases', async () => {
    const c = await compiled(yml`
      version: 2.1
      orbs:
        outer:
          orbs:
            inner:
              commands:
                hi: {steps: [{run: inner hi}]}
          commands:
            hey: inner/hi
          executors:
            default: {docker: [{image: outer}]}
          jobs:
            build:
              executor: default
              steps: [hey, inner/hi]
      jobs:
        j:
          executor: outer/default
          steps: [outer/hey]
      workflows: {w: {jobs: [outer/build, j]}}
    `);
    expect(c.jobs['outer/build']).toEqual({ docker: [{ image: 'outer' }], steps: [{ run: { command: 'inner hi' } }, { run: { command: 'inner hi' } }] });
    expect(c.jobs.j).toEqual({ docker: [{ image: 'outer' }], steps: [{ run: { command: 'inner hi' } }] });
  });
  it('treats an empty inline orb as a placeholder: warnings, no errors', async () => {
    const r = await compile(yml`
      version: 2.1
      orbs:
        mine: {}
      jobs:
        j:
          docker: [{image: x}]
          steps: [mine/cmd]
      workflows: {w: {jobs: [j, mine/job]}}
    `);
    expect(messages(r)).toEqual([]);
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['warning', 'warning']);
    expect((r.compiled as any).jobs.j.steps).toEqual(['mine/cmd']);
  });
});

describe('orb output', () => {
  it('emits only the orb jobs a workflow invokes', async () => {
    const c = await compiled('version: 2.1\norbs:\n  tools: acme/tools@2.0.0\nworkflows: {w: {jobs: [tools/test]}}\n', { orbSource: source });
    expect(Object.keys(c.jobs)).toEqual(['tools/test']);
    expect(Object.keys(c)).toEqual(['version', 'jobs', 'workflows']);
  });
  it('names matrix instances of orb jobs with the orb prefix', async () => {
    const c = await compiled('version: 2.1\norbs:\n  tools: acme/tools@2.0.0\nworkflows: {w: {jobs: [{tools/test: {matrix: {parameters: {e: [tools/default]}}}}]}}\n', { orbSource: source });
    expect(Object.keys(c.jobs)).toEqual(['tools/test-tools/default']);
  });
  it('reports orb source transport failures as diagnostics', async () => {
    const failing = { resolve: async () => Promise.reject(new Error('connection reset')) };
    const r = await compile('version: 2.1\norbs:\n  tools: acme/tools@2.0.0\nworkflows: {w: {jobs: [tools/test]}}\n', { orbSource: failing });
    expect(messages(r)).toEqual(['Could not fetch orb acme/tools@2.0.0: connection reset']);
  });
});

describe('executor parameters in logic statements', () => {
  it('compare as the executor definition', async () => {
    const c = await compiled(yml`
      version: 2.1
      executors:
        mac: &mac {macos: {xcode: "15.0"}}
        lin: {docker: [{image: x}]}
      jobs:
        j:
          parameters: {os: {type: executor, default: lin}}
          executor: << parameters.os >>
          steps:
            - when:
                condition: {equal: [*mac, << parameters.os >>]}
                steps: [{run: on mac}]
            - run: always
      workflows: {w: {jobs: [j, {j: {name: m, os: mac}}]}}
    `);
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'always' } }]);
    expect(c.jobs.m.steps).toEqual([{ run: { command: 'on mac' } }, { run: { command: 'always' } }]);
  });
});

describe('orb reference forms', () => {
  const urlConfig = 'version: 2.1\norbs:\n  x: https://example.com/orb.yml\njobs: {j: {docker: [{image: x}], steps: [x/hello]}}\nworkflows: {w: {jobs: [j]}}\n';
  it('rejects URL orbs with a clear message when the source cannot fetch them', async () => {
    const r = await compile(urlConfig, { orbSource: source });
    expect(messages(r)).toEqual(["URL orbs are not supported here: 'https://example.com/orb.yml'"]);
  });
  it('compiles a URL orb the source resolves, and reports the reason it refuses one', async () => {
    const orb = 'version: 2.1\ncommands:\n  hello:\n    steps: [{run: echo from the url orb}]\n';
    const asked: string[] = [];
    const withUrls = { resolve: source.resolve.bind(source), resolveUrl: async (url: string) => (asked.push(url), { source: orb }) };
    const c = await compiled(urlConfig, { orbSource: withUrls });
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'echo from the url orb' } }]);
    expect(asked).toEqual(['https://example.com/orb.yml']);
    const refusing = { resolve: source.resolve.bind(source), resolveUrl: async () => Promise.reject(new Error('not on the allow-list')) };
    expect(messages(await compile(urlConfig, { orbSource: refusing }))).toEqual(['URL orb https://example.com/orb.yml: not on the allow-list']);
  });
  it('leaves <<include(file)>> alone: it is orb packing syntax, not compile syntax', async () => {
    const c = await compiled('version: 2.1\njobs: {j: {docker: [{image: x}], steps: [{run: "<<include(scripts/a.sh)>>"}]}}\nworkflows: {w: {jobs: [j]}}\n');
    expect(c.jobs.j.steps).toEqual([{ run: { command: '<<include(scripts/a.sh)>>' } }]);
  });
});

describe('parsed orb cache', () => {
  const cfg = yml`
    version: 2.1
    orbs:
      tools: acme/tools@2.0.0
    workflows:
      w:
        jobs:
          - tools/test
          - tools/test: {name: t2, pre: [{run: pre}]}
  `;
  it('parses an orb text once and keeps it frozen', () => {
    const a = parseOrbSource(toolsOrb);
    expect(parseOrbSource(toolsOrb)).toBe(a);
    if (typeof a === 'string') throw new Error(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen((a.jobs as Record<string, unknown>).test)).toBe(true);
    expect(typeof parseOrbSource('version: 2.1\njobs: [unclosed')).toBe('string');
  });
  it('shares no data between compiles: changing one result changes neither the cache nor the next compile', async () => {
    const first = await compile(cfg, { orbSource: source });
    expect(messages(first)).toEqual([]);
    const yaml = first.compiledYaml;
    const jobs = first.compiled!.jobs as Record<string, { steps: unknown[]; docker: { image: string }[] }>;
    for (const job of Object.values(jobs)) {
      job.steps.push('checkout');
      job.docker[0].image = 'changed';
    }
    const second = await compile(cfg, { orbSource: source });
    expect(second.compiledYaml).toBe(yaml);
    expect(JSON.stringify(second.compiled)).not.toContain('changed');
  });
});
