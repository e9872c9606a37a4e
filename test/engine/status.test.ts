// Table tests for the pure status rules: a job from its parallel runs, a dependency's
// readiness, and the workflow status derived from its jobs.
import { describe, expect, it } from 'vitest';
import { isTerminalJob, jobStatusFromTasks, readiness, requiredStatusOf, workflowStatus, type RequiredStatus } from '../../src/engine/pipeline/status.ts';

describe('jobStatusFromTasks', () => {
  const table: [string[], string][] = [
    [[], 'queued'],
    [['queued'], 'queued'],
    [['queued', 'queued'], 'queued'],
    [['running'], 'running'],
    [['queued', 'running'], 'running'],
    [['success', 'queued'], 'running'],
    [['failed', 'running'], 'running'],
    [['success'], 'success'],
    [['success', 'success'], 'success'],
    [['success', 'failed'], 'failed'],
    [['timedout', 'infrastructure_fail'], 'timedout'],
    [['infrastructure_fail', 'success'], 'infrastructure_fail'],
    [['canceled', 'success'], 'canceled'],
    [['canceled', 'infrastructure_fail'], 'infrastructure_fail'],
    [['failed', 'timedout', 'canceled'], 'failed'],
  ];
  it.each(table)('%j → %s', (tasks, expected) => expect(jobStatusFromTasks(tasks)).toBe(expected));
});

describe('isTerminalJob', () => {
  const table: [string, boolean][] = [
    ['blocked', false],
    ['queued', false],
    ['running', false],
    ['on_hold', false],
    ['success', true],
    ['failed', true],
    ['infrastructure_fail', true],
    ['timedout', true],
    ['canceled', true],
    ['not_run', true],
    ['unauthorized', true],
  ];
  it.each(table)('%s → %s', (s, t) => expect(isTerminalJob(s)).toBe(t));
});

describe('requiredStatusOf', () => {
  const table: [string, RequiredStatus | undefined][] = [
    ['success', 'success'],
    ['failed', 'failed'],
    ['infrastructure_fail', 'failed'],
    ['timedout', 'failed'],
    ['canceled', 'canceled'],
    ['unauthorized', 'unauthorized'],
    ['not_run', 'not_run'],
    ['running', undefined],
    ['blocked', undefined],
    ['on_hold', undefined],
  ];
  it.each(table)('%s counts as %s', (s, r) => expect(requiredStatusOf(s)).toBe(r));
});

describe('readiness', () => {
  const S: RequiredStatus[] = ['success'];
  const table: [string, { status: string; allowed: RequiredStatus[] }[], string][] = [
    ['no requirements', [], 'ready'],
    ['one success', [{ status: 'success', allowed: S }], 'ready'],
    ['one still running', [{ status: 'running', allowed: S }], 'wait'],
    ['blocked dependency', [{ status: 'blocked', allowed: S }], 'wait'],
    ['on_hold approval', [{ status: 'on_hold', allowed: S }], 'wait'],
    ['failure below', [{ status: 'failed', allowed: S }], 'never'],
    ['timedout counts as failed', [{ status: 'timedout', allowed: ['failed'] }], 'ready'],
    ['infrastructure_fail counts as failed', [{ status: 'infrastructure_fail', allowed: ['failed'] }], 'ready'],
    ['not_run below', [{ status: 'not_run', allowed: S }], 'never'],
    ['unauthorized below', [{ status: 'unauthorized', allowed: S }], 'never'],
    ['canceled allowed', [{ status: 'canceled', allowed: ['failed', 'canceled'] }], 'ready'],
    ['success not allowed', [{ status: 'success', allowed: ['failed'] }], 'never'],
    ['not_run allowed (terminal)', [{ status: 'not_run', allowed: ['success', 'failed', 'canceled', 'unauthorized', 'not_run'] }], 'ready'],
    [
      'fan-in: one done, one running',
      [
        { status: 'success', allowed: S },
        { status: 'running', allowed: S },
      ],
      'wait',
    ],
    [
      'fan-in: a failure decides at once',
      [
        { status: 'failed', allowed: S },
        { status: 'running', allowed: S },
      ],
      'never',
    ],
    [
      'fan-in: all done',
      [
        { status: 'success', allowed: S },
        { status: 'success', allowed: S },
      ],
      'ready',
    ],
  ];
  it.each(table)('%s', (_name, deps, expected) => expect(readiness(deps)).toBe(expected));
});

describe('workflowStatus', () => {
  const table: [string, string[], { canceled?: boolean; errored?: boolean }, string][] = [
    ['all running', ['running', 'blocked'], {}, 'running'],
    ['queued counts as running', ['queued'], {}, 'running'],
    ['success', ['success', 'success'], {}, 'success'],
    ['a failure while others run', ['failed', 'running'], {}, 'failing'],
    ['a failure while an approval waits', ['failed', 'on_hold'], {}, 'failing'],
    ['failed with not_run below', ['success', 'failed', 'not_run'], {}, 'failed'],
    ['timedout is a failure', ['timedout', 'success'], {}, 'failed'],
    ['infrastructure_fail is a failure', ['infrastructure_fail'], {}, 'failed'],
    ['only an approval waits', ['success', 'on_hold', 'blocked'], {}, 'on_hold'],
    ['approval waits while a job runs', ['running', 'on_hold'], {}, 'running'],
    ['unauthorized while others run', ['unauthorized', 'running'], {}, 'failing'],
    ['unauthorized', ['unauthorized', 'success', 'not_run'], {}, 'unauthorized'],
    ['unauthorized beats failed', ['unauthorized', 'failed'], {}, 'unauthorized'],
    ['a canceled job', ['success', 'canceled', 'not_run'], {}, 'canceled'],
    ['a canceled job beats a failure', ['failed', 'canceled'], {}, 'canceled'],
    ['canceled workflow, work still stopping', ['running', 'blocked'], { canceled: true }, 'canceled'],
    ['canceled workflow', ['success', 'canceled', 'not_run'], { canceled: true }, 'canceled'],
    ['errored', ['success'], { errored: true, canceled: true }, 'error'],
    ['no jobs', [], {}, 'not_run'],
    ['nothing ran', ['not_run', 'not_run'], {}, 'not_run'],
    ['flexible requires ran the cleanup', ['failed', 'success'], {}, 'failed'],
  ];
  it.each(table)('%s', (_name, jobs, opts, expected) => expect(workflowStatus(jobs, opts)).toBe(expected));
});
