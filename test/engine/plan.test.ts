// Table tests for the pure planning helpers.
import { describe, expect, it } from 'vitest';
import { compileConfig, readRequirement } from '../../src/config/index.ts';
import { readContexts } from '../../src/config/read-compiled.ts';
import { parseRequirement, planWorkflows } from '../../src/engine/pipeline/plan.ts';

describe('parseRequirement', () => {
  const all = ['success', 'failed', 'canceled', 'unauthorized', 'not_run'];
  const table: [unknown, { name: string; statuses: string[] }][] = [
    ['build', { name: 'build', statuses: ['success'] }],
    [42, { name: '42', statuses: ['success'] }],
    [{ build: 'failed' }, { name: 'build', statuses: ['failed'] }],
    [{ build: ['failed', 'canceled'] }, { name: 'build', statuses: ['failed', 'canceled'] }],
    [{ build: ['canceled', 'success'] }, { name: 'build', statuses: ['success', 'canceled'] }],
    [{ build: 'terminal' }, { name: 'build', statuses: all }],
    [{ build: ['terminal', 'failed'] }, { name: 'build', statuses: all }],
    [{ build: 'not_run' }, { name: 'build', statuses: ['not_run'] }],
    [{ build: 'unauthorized' }, { name: 'build', statuses: ['unauthorized'] }],
    [{ build: 'bogus' }, { name: 'build', statuses: ['success'] }],
    [{ build: [] }, { name: 'build', statuses: ['success'] }],
    [{ build: null }, { name: 'build', statuses: ['success'] }],
  ];
  it.each(table)('%j', (input, expected) => expect(parseRequirement(readRequirement(input))).toEqual(expected));
});

describe('planWorkflows', () => {
  it('plans jobs from the typed compiled config: kinds, executors, resource classes, parallelism, contexts', async () => {
    const r = await compileConfig(
      [
        'version: 2.1',
        'jobs:',
        '  build: {docker: [{image: cimg/base:stable}], resource_class: large, parallelism: 3, steps: [checkout]}',
        '  mac: {macos: {xcode: 15.0.0}, steps: [checkout]}',
        '  skip: {type: no-op}',
        'workflows:',
        '  ci:',
        '    jobs:',
        '      - build: {context: [org]}',
        '      - hold: {type: approval, requires: [build]}',
        '      - mac: {requires: [{hold: [success, failed]}]}',
        '      - skip',
        '',
      ].join('\n'),
    );
    const plans = planWorkflows(r.config!, { branch: 'main' }, {});
    expect(plans.map((w) => w.name)).toEqual(['ci']);
    expect(plans[0]!.jobs.map(({ config: _, ...j }) => j)).toEqual([
      { name: 'build', type: 'build', requires: [], contexts: ['org'], executor: 'docker', resourceClass: 'large', parallelism: 3 },
      { name: 'hold', type: 'approval', requires: [{ name: 'build', statuses: ['success'] }], contexts: [], executor: 'none', resourceClass: 'medium', parallelism: 1 },
      { name: 'mac', type: 'build', requires: [{ name: 'hold', statuses: ['success', 'failed'] }], contexts: [], executor: 'macos', resourceClass: 'medium', parallelism: 1 },
      { name: 'skip', type: 'no-op', requires: [], contexts: [], executor: 'none', resourceClass: 'medium', parallelism: 1 },
    ]);
    // The stored config is the job's compiled document.
    expect(plans[0]!.jobs[0]!.config).toBe((r.compiled!.jobs as Record<string, unknown>).build);
  });
});

describe('readContexts', () => {
  const table: [unknown, string[]][] = [
    [undefined, []],
    [null, []],
    ['org-global', ['org-global']],
    [['a', 'b'], ['a', 'b']],
    [['a', ''], ['a']],
  ];
  it.each(table)('%j', (v, names) => expect(readContexts(v)).toEqual(names));
});
