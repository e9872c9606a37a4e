// Table tests for the pure planning helpers.
import { describe, expect, it } from 'vitest';
import { contextNames, executorKind, parseRequirement } from '../../src/engine/plan.ts';

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
  it.each(table)('%j', (input, expected) => expect(parseRequirement(input)).toEqual(expected));
});

describe('executorKind', () => {
  const table: [Record<string, unknown>, string][] = [
    [{ docker: [{ image: 'cimg/base:stable' }] }, 'docker'],
    [{ machine: true }, 'machine'],
    [{ machine: { image: 'ubuntu-2204:current' } }, 'machine'],
    [{ machine: false }, 'none'],
    [{ macos: { xcode: '15.0.0' } }, 'macos'],
    [{ windows: { name: 'win' } }, 'windows'],
    [{ steps: [] }, 'none'],
    [{}, 'none'],
  ];
  it.each(table)('%j → %s', (config, kind) => expect(executorKind(config)).toBe(kind));
});

describe('contextNames', () => {
  const table: [unknown, string[]][] = [
    [undefined, []],
    [null, []],
    ['org-global', ['org-global']],
    [['a', 'b'], ['a', 'b']],
    [['a', ''], ['a']],
  ];
  it.each(table)('%j', (v, names) => expect(contextNames(v)).toEqual(names));
});
