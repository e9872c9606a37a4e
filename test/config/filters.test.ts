// Filters and workflow selection for a branch or tag.
import { describe, expect, it } from 'vitest';
import { isFilteredIn, readCompiled, selectWorkflows } from '../../src/config/index.ts';
import { compile, compiled, messages, yml } from './helpers.ts';

describe('isFilteredIn', () => {
  it('runs jobs without filters on every branch but never for tags', () => {
    expect(isFilteredIn(undefined, { branch: 'main' })).toBe(true);
    expect(isFilteredIn({}, { branch: 'x' })).toBe(true);
    expect(isFilteredIn(undefined, { tag: 'v1' })).toBe(false);
    expect(isFilteredIn({ branches: { only: 'main' } }, { tag: 'v1' })).toBe(false);
  });
  it('applies branches only/ignore with exact names and full-match /regex/', () => {
    const f = { branches: { only: ['main', '/release\\/.*/'] } };
    expect(isFilteredIn(f, { branch: 'main' })).toBe(true);
    expect(isFilteredIn(f, { branch: 'release/1.0' })).toBe(true);
    expect(isFilteredIn(f, { branch: 'xrelease/1' })).toBe(false);
    expect(isFilteredIn(f, { branch: 'mainline' })).toBe(false);
    expect(isFilteredIn({ branches: { ignore: '/.*/' } }, { branch: 'main' })).toBe(false);
    expect(isFilteredIn({ branches: { ignore: 'gh-pages' } }, { branch: 'main' })).toBe(true);
    expect(isFilteredIn({ branches: { only: 'main', ignore: 'main' } }, { branch: 'main' })).toBe(true);
  });
  it('runs for tags only with a matching tags filter; branch filters do not apply to tags', () => {
    const f = { branches: { ignore: '/.*/' }, tags: { only: '/^v.*/' } };
    expect(isFilteredIn(f, { tag: 'v1.2.3' })).toBe(true);
    expect(isFilteredIn(f, { tag: 'x1' })).toBe(false);
    expect(isFilteredIn(f, { branch: 'main' })).toBe(false);
    expect(isFilteredIn({ tags: { only: '/.*/' } }, { tag: 'anything' })).toBe(true);
    expect(isFilteredIn({ tags: { ignore: 'skip' } }, { tag: 'other' })).toBe(true);
    expect(isFilteredIn({ tags: { only: '/.*/' } }, { branch: 'main' })).toBe(true);
  });
  it('evaluates expression filters without the tag default', () => {
    expect(isFilteredIn('pipeline.git.branch == "main" or pipeline.git.tag starts-with "release"', { branch: 'main' })).toBe(true);
    expect(isFilteredIn('pipeline.git.branch == "main" or pipeline.git.tag starts-with "release"', { tag: 'release-1' })).toBe(true);
    expect(isFilteredIn('pipeline.git.branch == "main"', { branch: 'dev' })).toBe(false);
    expect(isFilteredIn('pipeline.git.branch or pipeline.git.tag', { tag: 'v1' })).toBe(true);
  });
});

describe('filters in configs', () => {
  it('keeps filters in the compiled output (with pipeline values substituted)', async () => {
    const c = await compiled(yml`
      version: 2.1
      jobs: {a: {docker: [{image: x}], steps: [checkout]}}
      workflows:
        w:
          jobs:
            - a: {filters: {branches: {only: [main, /feat-.*/]}, tags: {only: /^v.*/}}}
            - a: {name: b, filters: pipeline.git.branch == "main"}
    `);
    expect(c.workflows.w.jobs).toEqual([{ a: { filters: { branches: { only: ['main', '/feat-.*/'] }, tags: { only: '/^v.*/' } } } }, { b: { filters: 'pipeline.git.branch == "main"' } }]);
  });
  it('reports invalid filter regexes and keys', async () => {
    const base = 'version: 2.1\njobs: {a: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [{a: {filters: FILTERS}}]}}\n';
    const m = messages(await compile(base.replace('FILTERS', '{branches: {only: "/(/"}}')));
    expect(m).toEqual(['Invalid regular expression: (: Invalid pattern (missing closing ): `(`; patterns use RE2 syntax: no lookaround, no backreferences)']);
    const k = messages(await compile(base.replace('FILTERS', '{branch: {only: main}}')));
    expect(k).toHaveLength(1);
    expect(k[0]).toMatch(/branch/);
  });
});

describe('selectWorkflows', () => {
  const src = yml`
    version: 2.1
    jobs:
      build: {docker: [{image: x}], steps: [checkout]}
      test: {docker: [{image: x}], steps: [checkout]}
      deploy: {docker: [{image: x}], steps: [checkout]}
    workflows:
      ci:
        jobs:
          - build: {filters: {tags: {only: /.*/}}}
          - test: {requires: [build]}
          - hold: {type: approval, requires: [build], filters: {tags: {only: /^v.*/}, branches: {ignore: /.*/}}}
          - deploy: {requires: [hold], filters: {tags: {only: /^v.*/}, branches: {ignore: /.*/}}}
      nightly:
        triggers: [{schedule: {cron: "0 0 * * *", filters: {branches: {only: main}}}}]
        jobs: [test]
  `;
  it('selects jobs for a branch push (tag-only jobs and scheduled workflows left out)', async () => {
    const c = await compiled(src);
    const sel = selectWorkflows(readCompiled(c), { branch: 'main' });
    expect(sel.map((w) => [w.name, w.jobs.map((j) => j.name)])).toEqual([['ci', ['build', 'test']]]);
    expect(sel[0].jobs[1].requires).toEqual(['build']);
  });
  it('applies the tag default: only jobs with matching tag filters run for a tag', async () => {
    const c = await compiled(src);
    const sel = selectWorkflows(readCompiled(c), { tag: 'v1.0.0' });
    expect(sel[0].jobs.map((j) => [j.name, j.requires, j.type])).toEqual([
      ['build', [], undefined],
      ['hold', ['build'], 'approval'],
      ['deploy', ['hold'], undefined],
    ]);
    expect(selectWorkflows(readCompiled(c), { tag: 'nightly-1' })[0].jobs.map((j) => j.name)).toEqual(['build']);
  });
  it('drops a job whose requirements were all filtered out, and includes scheduled workflows on request', async () => {
    const c = await compiled(src.replace('- build: {filters: {tags: {only: /.*/}}}', '- build: {filters: {branches: {only: main}}}'));
    expect(selectWorkflows(readCompiled(c), { branch: 'dev' })).toEqual([]);
    expect(selectWorkflows(readCompiled(c), { branch: 'main' }, { includeScheduled: true }).map((w) => w.name)).toEqual(['ci', 'nightly']);
  });
  it('does not mutate the compiled config', async () => {
    const c = await compiled(src);
    const before = JSON.stringify(c);
    selectWorkflows(readCompiled(c), { tag: 'v1' });
    expect(JSON.stringify(c)).toBe(before);
  });
});

describe('selectWorkflows on 2.0 configs', () => {
  it('runs a lone build job as an implicit workflow', async () => {
    const c = await compiled('version: 2\njobs:\n  build: {docker: [{image: x}], steps: [checkout]}\n');
    expect(selectWorkflows(readCompiled(c), { branch: 'main' }).map((w) => [w.name, w.jobs.map((j) => j.name)])).toEqual([['workflow', ['build']]]);
    expect(selectWorkflows(readCompiled(c), { tag: 'v1' })).toEqual([]);
  });
});

describe('filters evaluated at compile time', () => {
  it('accepts `filters: << expression >>` and uses its verdict', async () => {
    const c = await compiled('version: 2.1\njobs: {a: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [{a: {filters: "<< pipeline.git.branch == \\"main\\" >>"}}]}}\n');
    expect(c.workflows.w.jobs).toEqual([{ a: { filters: true } }]);
    expect(isFilteredIn(true, { tag: 'v1' })).toBe(true);
    expect(isFilteredIn(false, { branch: 'main' })).toBe(false);
  });
});

describe('expression filters with pipeline parameters', () => {
  it('reads pipeline.parameters.* from the given parameters', () => {
    expect(isFilteredIn('pipeline.parameters.deploy and pipeline.git.branch == "main"', { branch: 'main' }, {}, { deploy: true })).toBe(true);
    expect(isFilteredIn('pipeline.parameters.deploy and pipeline.git.branch == "main"', { branch: 'main' }, {}, { deploy: false })).toBe(false);
  });
});
